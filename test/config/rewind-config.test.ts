import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { ConfigError, loadConfig, validateEnvironment } from '../../lib/config/load.js';
import type { EnvironmentInput } from '../../lib/config/schema.js';

/** A copy of one environment's raw settings with one change, validated under that environment's name. */
function validateWith(env: 'dev' | 'prod', change: (input: EnvironmentInput) => void) {
  const input = structuredClone(ENVIRONMENTS[env]!) as EnvironmentInput;
  change(input);
  return () => validateEnvironment(env, input);
}

function expectConfigError(run: () => unknown, ...parts: string[]) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as Error).message;
  expect(message).toContain('environment "prod"');
  for (const part of parts) expect(message).toContain(part);
}

describe('delayed replica, rewind and readiness configuration as committed', () => {
  it('has a 60-minute delayed replica in prod only, a 5-minute rewind margin and a readiness check every minute in prod', () => {
    const prod = loadConfig('prod');
    expect(prod.delayedReplica).toMatchObject({ enabled: true, applyDelayMinutes: 60, generation: 1 });
    expect(prod.rewind.marginMinutes).toBe(5);
    expect(prod.readiness).toEqual({
      scheduleMinutes: 1,
      breachPeriods: 3,
      drillMaxAgeDays: 8,
      drDrillMaxAgeDays: 35,
      // The DR-region standby is on in prod (drSite.standby.enabled), so its lag is watched.
      drStandby: true,
    });
    expect(loadConfig('dev').delayedReplica.enabled).toBe(false);
    expect(loadConfig('staging').delayedReplica.enabled).toBe(false);
  });
});

describe('delayed replica, rewind and readiness validation', () => {
  it.each([
    ['delayedReplica', 'enabled', 'yes', 'delayedReplica.enabled = "yes"'],
    ['delayedReplica', 'applyDelayMinutes', 10, 'delayedReplica.applyDelayMinutes = 10; allowed: 15 to 1440 minutes'],
    [
      'delayedReplica',
      'applyDelayMinutes',
      1441,
      'delayedReplica.applyDelayMinutes = 1441; allowed: 15 to 1440 minutes',
    ],
    ['delayedReplica', 'applyDelayMinutes', 30.5, 'allowed: a whole number of minutes from 15 to 1440'],
    [
      'delayedReplica',
      'instanceClass',
      'r6g.large',
      'delayedReplica.instanceClass = "r6g.large"; allowed: an RDS instance class',
    ],
    ['delayedReplica', 'generation', 0, 'delayedReplica.generation = 0; allowed: 1 to 99 generations'],
    [
      'delayedReplica',
      'replayControlRole',
      'Replay',
      'delayedReplica.replayControlRole = "Replay"; allowed: a lowercase PostgreSQL role name',
    ],
    ['rewind', 'marginMinutes', 6, 'rewind.marginMinutes = 6; allowed: 1 to 5 minutes'],
    ['rewind', 'marginMinutes', 0, 'rewind.marginMinutes = 0; allowed: 1 to 5 minutes'],
    ['rewind', 'pollSeconds', 1, 'rewind.pollSeconds = 1; allowed: 5 to 120 seconds'],
    ['rewind', 'replayTimeoutMinutes', 200, 'rewind.replayTimeoutMinutes = 200; allowed: 5 to 120 minutes'],
    ['rewind', 'promoteTimeoutMinutes', 2, 'rewind.promoteTimeoutMinutes = 2; allowed: 5 to 120 minutes'],
    ['readiness', 'scheduleMinutes', 0, 'readiness.scheduleMinutes = 0; allowed: 1 to 60 minutes'],
    ['readiness', 'breachPeriods', 61, 'readiness.breachPeriods = 61; allowed: 1 to 60 periods'],
    ['readiness', 'drillMaxAgeDays', 40, 'readiness.drillMaxAgeDays = 40; allowed: 1 to 35 days'],
    ['readiness', 'drDrillMaxAgeDays', 0, 'readiness.drDrillMaxAgeDays = 0; allowed: 1 to 90 days'],
    ['readiness', 'drStandby', 'yes', 'readiness.drStandby = "yes"'],
  ] as const)('refuses %s.%s = %j', (group, field, value, message) => {
    expectConfigError(
      validateWith('prod', (input) => {
        (input[group] as Record<string, unknown>)[field] = value;
      }),
      message,
    );
  });

  it('refuses watching a standby lag where no standby is deployed', () => {
    expectConfigError(
      validateWith('prod', (input) => {
        const site = input.drSite as { standby: Record<string, unknown> };
        site.standby = { ...site.standby, enabled: false };
      }),
      'readiness.drStandby = true; allowed: true only with drSite.standby.enabled',
    );
  });

  it('refuses an unknown field, naming it', () => {
    expectConfigError(
      validateWith('prod', (input) => {
        (input.rewind as Record<string, unknown>).marginSeconds = 30;
      }),
      'rewind.marginSeconds: unknown field(s)',
    );
  });
});
