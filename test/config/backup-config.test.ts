import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { ConfigError, loadConfig, validateEnvironment } from '../../lib/config/load.js';
import type { EnvironmentInput } from '../../lib/config/schema.js';

type Backup = EnvironmentInput['backup'];

/** A copy of one environment's raw settings with one change, validated under that environment's name. */
function validateWith(env: 'dev' | 'prod', change: (input: EnvironmentInput) => void) {
  const input = structuredClone(ENVIRONMENTS[env]!) as EnvironmentInput;
  change(input);
  return () => validateEnvironment(env, input);
}

function expectConfigError(env: string, run: () => unknown, ...parts: string[]) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as Error).message;
  expect(message).toContain(`environment "${env}"`);
  for (const part of parts) expect(message).toContain(part);
}

const rule = (b: Backup, name: string) => b.rules.find((r) => r.name === name)!;

describe('backup configuration as committed', () => {
  it('keeps prod: continuous 35 days (the database retention), daily 35, weekly 90, monthly 180, copies alike', () => {
    const prod = loadConfig('prod');
    expect(prod.database.backupRetentionDays).toBe(35);
    expect(prod.backup.rules.map((r) => [r.name, r.retentionDays, r.copyRetentionDays])).toEqual([
      ['Daily', 35, 35],
      ['Weekly', 90, 90],
      ['Monthly', 180, 180],
    ]);
    expect(prod.backup.scheduleTimeZone).toBe('Asia/Seoul');
    expect(prod.backup.rules.map((r) => r.schedule)).toEqual([
      'cron(0 3 * * ? *)',
      'cron(0 4 ? * SUN *)',
      'cron(0 6 1 * ? *)',
    ]);
  });

  it('locks prod in compliance mode, staging in governance mode, and leaves dev unlocked', () => {
    const compliance = { mode: 'compliance', minRetentionDays: 35, maxRetentionDays: 365, changeableForDays: 3 };
    expect(loadConfig('prod').backup.vaultLock).toEqual({ primary: compliance, dr: compliance });
    const governance = { mode: 'governance', minRetentionDays: 7, maxRetentionDays: 365 };
    expect(loadConfig('staging').backup.vaultLock).toEqual({ primary: governance, dr: governance });
    expect(loadConfig('dev').backup.vaultLock).toEqual({ primary: { mode: 'none' }, dr: { mode: 'none' } });
  });
});

describe('backup configuration validation', () => {
  it.each([
    ['minutes above 59', 'cron(60 3 * * ? *)', 'allowed: minutes 0-59 in cron(minutes hours day-of-month'],
    ['hours above 23', 'cron(0 24 * * ? *)', 'allowed: hours 0-23 in cron('],
    ['a malformed minute', 'cron(x 3 * * ? *)', 'allowed: minutes 0-59'],
    ['both day fields set', 'cron(0 3 * * MON *)', 'allowed: exactly one of day-of-month / day-of-week as ?'],
    ['both day fields ?', 'cron(0 3 ? * ? *)', 'allowed: exactly one of day-of-month / day-of-week as ?'],
    ['five fields', 'cron(0 3 * * ?)', 'allowed: cron(minutes hours day-of-month month day-of-week year), six fields'],
    [
      'a rate expression',
      'rate(1 day)',
      'allowed: cron(minutes hours day-of-month month day-of-week year), six fields',
    ],
    ['day-of-month 32', 'cron(0 3 32 * ? *)', 'allowed: day-of-month 1-31, L, W or ?'],
    ['month 13', 'cron(0 3 1 13 ? *)', 'allowed: month 1-12 or JAN-DEC'],
  ])('rejects a rule schedule with %s', (_, schedule, allowed) => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        c.backup.rules[0]!.schedule = schedule;
      }),
      `backup.rules.0.schedule = "${schedule}"; ${allowed}`,
    );
  });

  it('rejects a malformed continuous and restore-testing schedule too', () => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        c.backup.continuous.schedule = 'cron(0 25 * * ? *)';
        c.backup.restoreTesting.schedule = 'cron(0 11 1 * TUE *)';
      }),
      'backup.continuous.schedule = "cron(0 25 * * ? *)"; allowed: hours 0-23',
      'backup.restoreTesting.schedule = "cron(0 11 1 * TUE *)"; allowed: exactly one of day-of-month / day-of-week',
    );
  });

  it('rejects an unknown schedule time zone', () => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        c.backup.scheduleTimeZone = 'Asia/Sejong';
      }),
      'backup.scheduleTimeZone = "Asia/Sejong"; allowed: an IANA time zone name such as Asia/Seoul',
    );
  });

  it('rejects a continuous-backup retention (database.backupRetentionDays) above 35 days', () => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        c.database.backupRetentionDays = 36;
      }),
      'database.backupRetentionDays = 36; allowed: 1 to 35 days',
    );
  });

  it('rejects a copy retention below 1 day', () => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        rule(c.backup, 'Weekly').copyRetentionDays = 0;
      }),
      'backup.rules.1.copyRetentionDays = 0; allowed: at least 1 day',
    );
  });

  it('rejects a start window below the AWS Backup minimum of 60 minutes', () => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        c.backup.rules[0]!.startWindowMinutes = 30;
      }),
      'backup.rules.0.startWindowMinutes = 30; allowed: at least 60 minutes (AWS Backup minimum)',
    );
  });

  it('rejects a completion window not longer than the start window', () => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        c.backup.rules[2]!.startWindowMinutes = 240;
      }),
      'backup.rules.2.completionWindowMinutes = 240; allowed: more than startWindowMinutes (240)',
    );
  });

  it('rejects two rules with one name, and a rule named like the continuous rule', () => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        c.backup.rules[1]!.name = 'Daily';
        c.backup.rules[2]!.name = 'Continuous';
      }),
      'backup.rules.1.name = "Daily"; allowed: a name no other rule uses (taken: Continuous, Daily)',
      'backup.rules.2.name = "Continuous"; allowed: a name no other rule uses',
    );
  });

  it('rejects a compliance lock whose cooling-off period is under 3 days', () => {
    expectConfigError(
      'prod',
      validateWith('prod', (c) => {
        c.backup.vaultLock.primary = {
          ...c.backup.vaultLock.primary,
          changeableForDays: 2,
        } as Backup['vaultLock']['primary'];
      }),
      'backup.vaultLock.primary.changeableForDays = 2; allowed: at least 3 days (AWS Backup minimum)',
    );
  });

  it('rejects a lock whose maximum is not above its minimum', () => {
    expectConfigError(
      'prod',
      validateWith('prod', (c) => {
        c.backup.vaultLock.dr = { mode: 'governance', minRetentionDays: 35, maxRetentionDays: 35 };
      }),
      'backup.vaultLock.dr.maxRetentionDays = 35; allowed: more than minRetentionDays (35)',
    );
  });

  it('rejects a primary lock whose minimum is above the shortest snapshot rule retention', () => {
    expectConfigError(
      'prod',
      validateWith('prod', (c) => {
        c.backup.vaultLock.primary = {
          mode: 'compliance',
          minRetentionDays: 40,
          maxRetentionDays: 365,
          changeableForDays: 3,
        };
      }),
      'backup.vaultLock.primary.minRetentionDays = 40; allowed: a lock whose minRetentionDays (40) is not above the ' +
        'shortest retention written into the primary vault (35 days, rule Continuous = database.backupRetentionDays, rule Daily)',
    );
  });

  it('rejects a primary lock whose minimum is above the continuous rule retention (database.backupRetentionDays)', () => {
    expectConfigError(
      'dev',
      validateWith('dev', (c) => {
        c.database.backupRetentionDays = 5;
        c.database.replicatedBackupRetentionDays = 5;
        c.backup.vaultLock.primary = { mode: 'governance', minRetentionDays: 7, maxRetentionDays: 365 };
      }),
      'backup.vaultLock.primary.minRetentionDays = 7; allowed: a lock whose minRetentionDays (7) is not above the ' +
        'shortest retention written into the primary vault (5 days, rule Continuous = database.backupRetentionDays)',
    );
  });

  it('rejects a primary lock whose maximum is below the longest snapshot rule retention', () => {
    expectConfigError(
      'prod',
      validateWith('prod', (c) => {
        c.backup.vaultLock.primary = {
          mode: 'compliance',
          minRetentionDays: 35,
          maxRetentionDays: 120,
          changeableForDays: 3,
        };
      }),
      'backup.vaultLock.primary.maxRetentionDays = 120; allowed: a lock whose maxRetentionDays (120) is not below the ' +
        'longest retention written into the primary vault (180 days, rule Monthly)',
    );
  });

  it('rejects a DR lock whose minimum is above the shortest copy retention', () => {
    expectConfigError(
      'prod',
      validateWith('prod', (c) => {
        rule(c.backup, 'Daily').copyRetentionDays = 14;
      }),
      'backup.vaultLock.dr.minRetentionDays = 35; allowed: a lock whose minRetentionDays (35) is not above the ' +
        'shortest retention written into the DR vault (14 days, copy of rule Daily)',
    );
  });

  it('rejects a DR lock whose maximum is below the longest copy retention', () => {
    expectConfigError(
      'prod',
      validateWith('prod', (c) => {
        rule(c.backup, 'Monthly').copyRetentionDays = 400;
      }),
      'backup.vaultLock.dr.maxRetentionDays = 365; allowed: a lock whose maxRetentionDays (365) is not below the ' +
        'longest retention written into the DR vault (400 days, copy of rule Monthly)',
    );
  });

  it('accepts a lock that brackets the retentions exactly', () => {
    const config = validateWith('prod', (c) => {
      c.backup.vaultLock.primary = { mode: 'governance', minRetentionDays: 35, maxRetentionDays: 180 };
      c.backup.vaultLock.dr = { mode: 'governance', minRetentionDays: 35, maxRetentionDays: 180 };
    })();
    expect(config.backup.vaultLock.primary).toMatchObject({ minRetentionDays: 35, maxRetentionDays: 180 });
  });
});
