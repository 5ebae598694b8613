import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { ConfigError, knownEnvironments, loadConfig, validateEnvironment } from '../../lib/config/load.js';
import type { EnvironmentInput } from '../../lib/config/schema.js';

/** A copy of dev's raw settings with one change, validated as environment "dev". */
function validateDevWith(change: (input: EnvironmentInput) => void) {
  const input = structuredClone(ENVIRONMENTS.dev!) as EnvironmentInput;
  change(input);
  return () => validateEnvironment('dev', input);
}

function expectConfigError(run: () => unknown, ...parts: (string | RegExp)[]) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as Error).message;
  expect(message).toContain('environment "dev"');
  for (const part of parts) {
    if (typeof part === 'string') expect(message).toContain(part);
    else expect(message).toMatch(part);
  }
}

describe('loadConfig', () => {
  it('validates dev, staging and prod as committed', () => {
    expect(knownEnvironments()).toEqual(['dev', 'staging', 'prod']);
    for (const name of knownEnvironments()) expect(loadConfig(name).name).toBe(name);
  });

  it('puts every environment in ap-northeast-2 with its DR region ap-northeast-1 and RTO 15 / RPO 5 targets', () => {
    for (const name of knownEnvironments()) {
      const config = loadConfig(name);
      expect([config.primaryRegion, config.drRegion]).toEqual(['ap-northeast-2', 'ap-northeast-1']);
      expect(config.database.backupWindow).toBe('18:00-18:30');
      expect(config.targets).toMatchObject({ rtoMinutes: 15, rpoMinutes: 5 });
    }
  });

  it('rejects an unknown environment, listing the known ones', () => {
    expect(() => loadConfig('qa')).toThrow(ConfigError);
    expect(() => loadConfig('qa')).toThrow('Unknown environment "qa"; allowed: dev, staging, prod');
  });

  it('rejects a DR region equal to the primary region', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.drRegion = c.primaryRegion;
        c.availabilityZones.dr = c.availabilityZones.primary;
      }),
      'drRegion = "ap-northeast-2"; allowed: a region other than the primary region (ap-northeast-2)',
    );
  });

  it.each([0, 36])('rejects a backup retention of %i days (allowed 1-35)', (days) => {
    expectConfigError(
      validateDevWith((c) => {
        c.database.backupRetentionDays = days;
      }),
      `database.backupRetentionDays = ${days}; allowed: 1 to 35 days`,
    );
  });

  it.each(['18:00', '25:00-25:30', '18:00-18:15', '6pm-7pm'])('rejects the backup window "%s"', (window) => {
    expectConfigError(
      validateDevWith((c) => {
        c.database.backupWindow = window;
      }),
      `database.backupWindow = "${window}"; allowed: hh24:mi-hh24:mi in UTC, at least 30 minutes`,
    );
  });

  it.each(['sun:20:00', 'xyz:20:00-xyz:20:30', 'sun:20:00-sun:20:10'])('rejects the maintenance window "%s"', (w) => {
    expectConfigError(
      validateDevWith((c) => {
        c.database.maintenanceWindow = w;
      }),
      `database.maintenanceWindow = "${w}"; allowed: ddd:hh24:mi-ddd:hh24:mi in UTC`,
    );
  });

  it.each([
    ['overlapping the backup window', 'mon:18:15-mon:18:45'],
    ['spanning it', 'tue:17:00-tue:19:00'],
    ['starting right after it', 'wed:18:30-wed:19:00'],
    ['starting within one hour after it', 'sun:19:15-sun:19:45'],
    ['crossing midnight into it (Saturday to Sunday)', 'sat:23:30-sun:18:10'],
  ])('rejects a maintenance window %s', (_, window) => {
    expectConfigError(
      validateDevWith((c) => {
        c.database.maintenanceWindow = window;
      }),
      `database.maintenanceWindow = "${window}"; allowed: a window that neither overlaps the backup window ` +
        '(18:00-18:30) nor starts within 60 minutes after it',
    );
  });

  it('accepts a maintenance window that starts an hour after the backup window ends', () => {
    expect(
      validateDevWith((c) => {
        c.database.maintenanceWindow = 'sun:19:30-sun:20:00';
      })().database.maintenanceWindow,
    ).toBe('sun:19:30-sun:20:00');
  });

  it('rejects a maintenance window that ends within the next day backup window', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.database.backupWindow = '00:00-00:30';
        c.database.maintenanceWindow = 'sat:23:00-sun:00:10';
      }),
      'database.maintenanceWindow = "sat:23:00-sun:00:10"',
    );
  });

  it('rejects a malformed e-mail address', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.alerts.emails = ['sre@example.com', 'not-an-address'];
      }),
      'alerts.emails.1 = "not-an-address"; allowed: an e-mail address',
    );
  });

  it('rejects a maximum storage not above the allocated storage', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.database.allocatedStorageGiB = 200;
        c.database.maxAllocatedStorageGiB = 100;
      }),
      'database.maxAllocatedStorageGiB = 100; allowed: more than allocatedStorageGiB (200)',
    );
  });

  it('rejects an RPO target below 5 minutes, saying why', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.targets.rpoMinutes = 1;
      }),
      'targets.rpoMinutes = 1; allowed: at least 5 minutes (RDS ships transaction logs every 5 minutes)',
    );
  });

  it('rejects a malformed account id, an unknown field and a missing field, all in one message', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.account = '1234';
        (c as unknown as Record<string, unknown>).colour = 'blue';
        delete (c.database as Partial<typeof c.database>).instanceClass;
      }),
      'account = "1234"; allowed: a 12-digit AWS account id',
      'colour: unknown field(s)',
      'database.instanceClass = missing',
    );
  });

  it('rejects availability zones of another region', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.availabilityZones.primary = ['ap-northeast-1a', 'ap-northeast-1c'];
      }),
      'availabilityZones.primary = ["ap-northeast-1a","ap-northeast-1c"]; allowed: zones of ap-northeast-2 only',
    );
  });

  it('rejects an existing VPC without one isolated subnet per zone', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.network.existingVpc = {
          vpcId: 'vpc-0123456789abcdef0',
          isolatedSubnetIds: ['subnet-0123abcd', 'subnet-4567abcd'],
          isolatedRouteTableIds: ['rtb-0123abcd', 'rtb-4567abcd'],
        };
      }),
      'network.existingVpc.isolatedSubnetIds',
      'allowed: one subnet per availability zone in availabilityZones.primary (3)',
    );
  });

  it('rejects an existing VPC without one route table per isolated subnet', () => {
    expectConfigError(
      validateDevWith((c) => {
        c.network.existingVpc = {
          vpcId: 'vpc-0123456789abcdef0',
          isolatedSubnetIds: ['subnet-0000000a', 'subnet-0000000b', 'subnet-0000000c'],
          isolatedRouteTableIds: ['rtb-0123abcd'],
        };
      }),
      'network.existingVpc.isolatedRouteTableIds = ["rtb-0123abcd"]; allowed: one route table per subnet in isolatedSubnetIds (3)',
    );
  });
});

describe('verified tables: content digest settings', () => {
  it('accepts a key column, digest columns, ranges and a sample size, all optional', () => {
    const config = validateDevWith((c) => {
      c.drill.tables[0] = {
        ...c.drill.tables[0],
        keyColumn: 'user_id',
        digestColumns: ['user_id', 'password_hash'],
        digestRanges: 64,
        maxSampleIds: 0,
      };
    })();
    expect(config.drill.tables[0]).toMatchObject({ keyColumn: 'user_id', digestRanges: 64, maxSampleIds: 0 });
    expect(loadConfig('dev').drill.tables[0]).not.toHaveProperty('digestColumns');
  });

  it.each([
    ['keyColumn', 'Id', 'drill.tables.0.keyColumn = "Id"; allowed: a lowercase SQL column name'],
    ['digestColumns', [], 'drill.tables.0.digestColumns = []; allowed: at least one column'],
    ['digestColumns', ['id', 'id'], 'allowed: each column once'],
    ['digestColumns', ['id', 'x;y'], 'drill.tables.0.digestColumns.1 = "x;y"; allowed: a lowercase SQL column name'],
    ['digestRanges', 0, 'drill.tables.0.digestRanges = 0'],
    ['digestRanges', 2000, 'drill.tables.0.digestRanges = 2000; allowed: 1 to 1024 ranges'],
    ['maxSampleIds', 101, 'drill.tables.0.maxSampleIds = 101; allowed: 0 to 100 keys'],
  ])('rejects %s = %j', (field, value, message) => {
    expectConfigError(
      validateDevWith((c) => {
        Object.assign(c.drill.tables[0], { [field]: value });
      }),
      message,
    );
  });
});
