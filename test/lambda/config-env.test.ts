import { afterEach, describe, expect, it, vi } from 'vitest';

// Found while writing the per-function tests: configuration values that were cast or compared, not parsed.
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('configuration environment variables are parsed, not cast', () => {
  const failover = {
    ENVIRONMENT: 'prod',
    PRIMARY_INSTANCE_ID: 'authdb-prod',
    STANDBY_INSTANCE_ID: 'authdb-prod-standby',
    SUBNET_GROUP: 's',
    PARAMETER_GROUP: 'p',
    SECURITY_GROUP_ID: 'sg-1',
    DR_VAULT_NAME: 'v',
    INSTANCE_CLASSES: '["db.r6g.large"]',
    BACKUP_RETENTION_DAYS: '14',
    PROMOTE_TIMEOUT_SECONDS: '1800',
    RESTORE_TIMEOUT_SECONDS: '7200',
  };
  it('failover-control names INSTANCE_CLASSES when it is not JSON', async () => {
    for (const [k, v] of Object.entries(failover)) vi.stubEnv(k, v);
    vi.stubEnv('INSTANCE_CLASSES', 'db.r6g.large');
    await expect(import('../../lambda/failover-control/handler.js')).rejects.toThrow(/INSTANCE_CLASSES/);
  });
  it('failover-control refuses INSTANCE_CLASSES that is not a list (a string would default the class to "d")', async () => {
    for (const [k, v] of Object.entries(failover)) vi.stubEnv(k, v);
    vi.stubEnv('INSTANCE_CLASSES', '"db.r6g.large"');
    await expect(import('../../lambda/failover-control/handler.js')).rejects.toThrow(/INSTANCE_CLASSES/);
  });
  it('failover-verify names TABLES when it is not valid', async () => {
    for (const [k, v] of Object.entries({
      DATABASE_NAME: 'authdb',
      VERIFIER_USER: 'v',
      AWS_REGION: 'ap-southeast-1',
      STATEMENT_TIMEOUT_MS: '1000',
      TABLES: '{"name":"users"}',
      CONCURRENCY: '2',
      MAX_DATA_AGE_SECONDS: '300',
    }))
      vi.stubEnv(k, v);
    await expect(import('../../lambda/failover-verify/handler.js')).rejects.toThrow(/TABLES/);
  });
});

describe('rewind-control two-person rule', () => {
  it('refuses an APPROVAL_REQUIRED that is neither true nor false instead of turning the approval off', async () => {
    for (const [k, v] of Object.entries({
      ENVIRONMENT: 'prod',
      REPLICA_INSTANCE_ID: 'authdb-prod-delayed',
      REPLICA_PARAMETER_GROUP: 'g',
      BACKUP_RETENTION_DAYS: '14',
      REBOOT_TIMEOUT_SECONDS: '900',
      REPLAY_TIMEOUT_SECONDS: '3600',
      PROMOTE_TIMEOUT_SECONDS: '1200',
      PRODUCTION_INSTANCE_ID: 'authdb-prod',
      APPROVAL_REQUIRED: 'TRUE',
      STS_HOST: 'sts.ap-northeast-2.amazonaws.com',
      ACCOUNT: '111111111111',
    }))
      vi.stubEnv(k, v);
    await expect(import('../../lambda/rewind-control/handler.js')).rejects.toThrow(/APPROVAL_REQUIRED/);
  });
});
