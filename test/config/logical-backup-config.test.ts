import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { ConfigError, loadConfig, validateEnvironment } from '../../lib/config/load.js';
import type { EnvironmentInput } from '../../lib/config/schema.js';

function validateWith(env: 'dev' | 'prod', logicalBackup: Record<string, unknown>) {
  const input = structuredClone(ENVIRONMENTS[env]!) as EnvironmentInput;
  input.logicalBackup = { ...input.logicalBackup, ...logicalBackup } as EnvironmentInput['logicalBackup'];
  return () => validateEnvironment(env, input);
}

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('logical backup configuration as committed', () => {
  it('dumps daily at 03:30 Asia/Seoul; prod locks in compliance mode for 35 days and keeps 180 days', () => {
    const prod = loadConfig('prod').logicalBackup;
    expect(prod).toMatchObject({
      schedule: 'cron(30 3 * * ? *)',
      scheduleTimeZone: 'Asia/Seoul',
      objectLockMode: 'COMPLIANCE',
      retentionDays: 35,
      standardDays: 30,
      longTermRetentionDays: 180,
      maxAgeHours: 26,
      dumpRole: 'authdb_dump',
    });
  });

  it('uses governance mode and the defaults elsewhere, with the section left out entirely', () => {
    for (const env of ['dev', 'staging']) {
      expect(loadConfig(env).logicalBackup).toMatchObject({
        objectLockMode: 'GOVERNANCE',
        retentionDays: 7,
        longTermRetentionDays: 90,
      });
    }
    expect(ENVIRONMENTS.dev!.logicalBackup).toBeUndefined();
  });
});

describe('logical backup configuration validation', () => {
  it.each([
    [{ schedule: 'cron(30 25 * * ? *)' }, 'logicalBackup.schedule', 'allowed: hours 0-23'],
    [{ objectLockMode: 'compliance' }, 'logicalBackup.objectLockMode', 'GOVERNANCE'],
    [{ retentionDays: 0 }, 'logicalBackup.retentionDays', 'allowed: at least 1 day'],
    [
      { retentionDays: 100, longTermRetentionDays: 90 },
      'logicalBackup.retentionDays',
      'at most longTermRetentionDays (90)',
    ],
    [
      { standardDays: 90, longTermRetentionDays: 90 },
      'logicalBackup.longTermRetentionDays',
      'more than standardDays (90)',
    ],
    [{ dumpRole: 'Dump-Role' }, 'logicalBackup.dumpRole', 'allowed: a lowercase PostgreSQL role name'],
    [{ cpu: 1024, memoryMiB: 16384 }, 'logicalBackup.memoryMiB', 'allowed: 2048 to 8192 MiB for cpu 1024'],
    [{ ephemeralStorageGiB: 10 }, 'logicalBackup.ephemeralStorageGiB', ''],
    [{ extra: 1 }, 'logicalBackup', 'extra'],
  ])('refuses %j naming the field', (change, field, allowed) => {
    const message = messageOf(validateWith('prod', change));
    expect(message).toContain('environment "prod"');
    expect(message).toContain(field);
    expect(message).toContain(allowed);
  });
});
