import { BackupClient, DescribeRestoreJobCommand, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  describeRestoreTest,
  recordRestoreTest,
  type ValidationConfig,
  validateRestoreTest,
} from '../../lambda/restore-test-validation/validation.js';
import type { TableSpec } from '../../lambda/shared/row-counts.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { awsError } from '../support/restore-lambdas.js';
import { createVerifiedDatabase } from '../support/verified-database.js';

/** The workflow around these steps is in test/workflows/restore-test-validation.test.ts; here, each branch. */

const REGION = 'ap-northeast-2';
const ACCOUNT = '111111111111';
const PLAN_ARN = `arn:aws:backup:${REGION}:${ACCOUNT}:restore-testing-plan:authdb_dev_restore_test-abc`;
const JOB_ID = 'A1B2C3D4-0000-1111-2222-333344445555';
const RESTORED = 'awsbackup-restore-test-0a1b2c';
const NOW = new Date('2026-11-26T03:00:00.000Z');
const SCHEMA = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL);
  CREATE INDEX users_created_idx ON users (created_at);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, action text NOT NULL, created_at timestamptz NOT NULL);
  INSERT INTO users (email, created_at)
    SELECT 'u' || i || '@example.com', now() - i * interval '1 minute' FROM generate_series(1, 50) AS i;
  INSERT INTO audit_logs (action, created_at)
    SELECT 'login', now() - i * interval '1 minute' FROM generate_series(1, 50) AS i;
`;
const TABLES: TableSpec[] = [
  { name: 'users', timeColumn: 'created_at', tolerance: 0 },
  { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
];

const VERIFIER = 'authdb_verifier';
const backupMock = mockClient(BackupClient);
const snsMock = mockClient(SNSClient);
let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres();
  await createVerifiedDatabase(pg, 'source', SCHEMA, { role: VERIFIER, tables: TABLES });
});
afterAll(async () => {
  await pg?.stop();
});
beforeEach(() => {
  backupMock.reset();
  snsMock.reset();
  backupMock.on(PutRestoreValidationResultCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
});

function configWith(extra: Partial<ValidationConfig> = {}): ValidationConfig {
  return {
    environment: 'dev',
    restoreTestingPlanArn: PLAN_ARN,
    source: { host: 'source', port: 5432 },
    tables: TABLES,
    settleSeconds: 300,
    concurrency: 2,
    maxDataAgeSeconds: 600,
    topicArn: 'arn:aws:sns:x:1:alerts',
    ...extra,
  };
}

/** Endpoints name the database on the test server: `source`, or the restored copy. */
const deps = () => ({
  backup: new BackupClient({ region: REGION }),
  sns: new SNSClient({ region: REGION }),
  connectTo: (endpoint: { host: string }) => pg.connectionFactory(endpoint.host, VERIFIER),
  now: () => NOW,
});

describe('describeRestoreTest', () => {
  const event = { action: 'describe', event: { detail: { restoreJobId: JOB_ID } } };
  const job = {
    RestoreJobId: JOB_ID,
    CreatedResourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${RESTORED}`,
    RecoveryPointArn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:awsbackup:job-1`,
    RecoveryPointCreationDate: new Date('2026-11-26T02:00:00.000Z'),
    CreatedBy: { RestoreTestingPlanArn: PLAN_ARN },
  };

  it('names the restored instance and the recovery point of a job of our plan', async () => {
    backupMock.on(DescribeRestoreJobCommand).resolves(job);
    expect(await describeRestoreTest(event, configWith(), deps())).toEqual({
      ours: true,
      restoreJobId: JOB_ID,
      instanceId: RESTORED,
      recoveryPointArn: job.RecoveryPointArn,
      recoveryPointCreatedAt: '2026-11-26T02:00:00.000Z',
      since: NOW.toISOString(),
    });
    expect(backupMock.commandCalls(DescribeRestoreJobCommand)[0]!.args[0].input).toEqual({ RestoreJobId: JOB_ID });
  });

  it('leaves a job of another plan (or of no plan) alone', async () => {
    for (const CreatedBy of [{ RestoreTestingPlanArn: `${PLAN_ARN}-other` }, undefined]) {
      backupMock.on(DescribeRestoreJobCommand).resolves({ ...job, CreatedBy });
      expect(await describeRestoreTest(event, configWith(), deps())).toEqual({
        ours: false,
        restoreJobId: JOB_ID,
        since: NOW.toISOString(),
      });
    }
  });

  it('fails naming the job when it restored no RDS instance or has no recovery point date', async () => {
    backupMock.on(DescribeRestoreJobCommand).resolves({ ...job, CreatedResourceArn: 'arn:aws:ec2:x:1:volume/vol-1' });
    await expect(describeRestoreTest(event, configWith(), deps())).rejects.toThrow(
      `Restore job ${JOB_ID} has no restored RDS instance (arn:aws:ec2:x:1:volume/vol-1) or no recovery point creation date`,
    );
    backupMock.on(DescribeRestoreJobCommand).resolves({ ...job, RecoveryPointCreationDate: undefined });
    await expect(describeRestoreTest(event, configWith(), deps())).rejects.toThrow('no recovery point creation date');
  });

  it('refuses a malformed restore job id before calling AWS Backup', async () => {
    await expect(
      describeRestoreTest({ action: 'describe', event: { detail: { restoreJobId: '../x' } } }, configWith(), deps()),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'Invalid restore test event: event.detail.restoreJobId = "../x"; allowed: an AWS Backup restore job id',
    });
    expect(backupMock.calls()).toHaveLength(0);
  });
});

describe('validateRestoreTest (real PostgreSQL: source and restored copy)', () => {
  let copies = 0;
  /** A fresh copy of the source, changed by `sql`, as the restored instance. */
  async function restoredCopy(sql = ''): Promise<string> {
    const name = `restored_${++copies}`;
    await pg.psql(`CREATE DATABASE ${name} TEMPLATE source`);
    if (sql) await pg.psql(sql, name);
    return name;
  }
  const validate = async (host: string, createdAt = new Date().toISOString(), config = configWith()) =>
    validateRestoreTest(
      {
        action: 'validate',
        job: {
          ours: true,
          restoreJobId: JOB_ID,
          instanceId: RESTORED,
          recoveryPointCreatedAt: createdAt,
          since: createdAt,
        },
        instance: { endpoint: { host, port: 5432 } },
      },
      config,
      deps(),
    );

  it('is SUCCESSFUL for a faithful copy, with the row totals and the freshness', async () => {
    const outcome = await validate(await restoredCopy());
    expect(outcome.status).toBe('SUCCESSFUL');
    expect(outcome.message).toMatch(
      /^authdb-dr validation: schema matches, rows: users 50, audit_logs 50; newest row \d+ s before the recovery point$/,
    );
  });

  it('FAILS naming a missing table, missing settled rows and a schema difference', async () => {
    const host = await restoredCopy(`
      DROP TABLE audit_logs;
      DELETE FROM users WHERE id IN (SELECT id FROM users ORDER BY created_at LIMIT 3);
      DROP INDEX users_created_idx;`);
    const outcome = await validate(host);
    expect(outcome.status).toBe('FAILED');
    expect(outcome.message).toMatch(/^authdb-dr validation FAILED: /);
    expect(outcome.message).toContain('table audit_logs missing');
    expect(outcome.message).toContain('users: 3 settled rows of the source missing');
    expect(outcome.message).toMatch(/schema: .*users_created_idx/);
  });

  it('FAILS a copy whose newest row is older than allowed before the recovery point', async () => {
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const outcome = await validate(await restoredCopy(), later);
    expect(outcome.status).toBe('FAILED');
    expect(outcome.message).toMatch(/stale: newest row \S+, \d+ s before the recovery point \(allowed 600 s\)/);
  });

  it('FAILS when no restored row carries a time: freshness cannot be known', async () => {
    const outcome = await validate(await restoredCopy('TRUNCATE users, audit_logs'));
    expect(outcome.status).toBe('FAILED');
    expect(outcome.message).toContain('no restored row carries a time: freshness unknown');
  });

  it('lets a connection failure through (the workflow catches it and records FAILED)', async () => {
    await expect(validate('no_such_database')).rejects.toThrow(/no_such_database/);
  });

  it('refuses a job that is not ours or has no endpoint, connecting to nothing', async () => {
    const connectTo = vi.fn();
    const job = { ours: false, restoreJobId: JOB_ID, since: NOW.toISOString() };
    await expect(
      validateRestoreTest(
        { action: 'validate', job, instance: { endpoint: { host: 'x', port: 5432 } } },
        configWith(),
        {
          ...deps(),
          connectTo,
        },
      ),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('job.ours = false') });
    expect(connectTo).not.toHaveBeenCalled();
  });
});

describe('recordRestoreTest', () => {
  const recorded = () => backupMock.commandCalls(PutRestoreValidationResultCommand).map((c) => c.args[0].input);
  const alerts = () => snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
  const record = (state: Record<string, unknown>) =>
    recordRestoreTest(
      { action: 'record', state: { job: { restoreJobId: JOB_ID, instanceId: RESTORED }, ...state } },
      configWith(),
      deps(),
    );

  it('records SUCCESSFUL with AWS Backup and alerts nobody', async () => {
    const outcome = { status: 'SUCCESSFUL', message: 'authdb-dr validation: schema matches' };
    expect(await record({ outcome })).toEqual({ ...outcome, restoreJobId: JOB_ID });
    expect(recorded()).toEqual([
      { RestoreJobId: JOB_ID, ValidationStatus: 'SUCCESSFUL', ValidationStatusMessage: outcome.message },
    ]);
    expect(alerts()).toHaveLength(0);
  });

  it('records a FAILED validation and alerts with the job and the message', async () => {
    await record({ outcome: { status: 'FAILED', message: 'authdb-dr validation FAILED: table users missing' } });
    expect(recorded()[0]).toMatchObject({ ValidationStatus: 'FAILED' });
    expect(alerts()).toEqual([
      {
        TopicArn: 'arn:aws:sns:x:1:alerts',
        Subject: '[authdb-dr dev] restore test validation FAILED',
        Message: `Restore job ${JOB_ID}: authdb-dr validation FAILED: table users missing`,
      },
    ]);
  });

  it('records FAILED when the instance never became available, naming its status', async () => {
    const result = await record({ instance: { status: 'incompatible-restore', timedOut: false, failed: true } });
    expect(result.message).toBe(
      `authdb-dr validation FAILED: the restored instance ${RESTORED} never became available (status incompatible-restore)`,
    );
    expect(alerts()).toHaveLength(1);
  });

  it('records FAILED with the caught error when validation could not run, cut to 1000 characters', async () => {
    const result = await record({ error: { Error: 'Error', Cause: 'x'.repeat(2_000) } });
    expect(result.status).toBe('FAILED');
    expect(result.message).toHaveLength(1_000);
    expect(result.message.startsWith('authdb-dr validation FAILED: could not validate: Error: xxx')).toBe(true);
    expect(result.message.endsWith('…')).toBe(true);
    expect((await record({})).message).toBe('authdb-dr validation FAILED: could not validate: unknown error: ');
  });

  it('lets a refused PutRestoreValidationResult through before alerting (the workflow retries it)', async () => {
    backupMock.on(PutRestoreValidationResultCommand).rejects(awsError('InvalidRequestException', 'already validated'));
    await expect(record({ outcome: { status: 'FAILED', message: 'm' } })).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    expect(alerts()).toHaveLength(0);
  });

  it('refuses an unknown status', async () => {
    await expect(record({ outcome: { status: 'PENDING', message: 'm' } })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('state.outcome.status = "PENDING"'),
    });
    expect(backupMock.calls()).toHaveLength(0);
  });
});

describe('restore-test-validation handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  function stubEnv(): void {
    const env: Record<string, string> = {
      DATABASE_NAME: 'authdb',
      VERIFIER_USER: 'authdb_verifier',
      AWS_REGION: REGION,
      STATEMENT_TIMEOUT_MS: '300000',
      ENVIRONMENT: 'dev',
      RESTORE_TESTING_PLAN_ARN: PLAN_ARN,
      SOURCE_HOST: 'authdb-dev.example',
      SOURCE_PORT: '5432',
      TABLES: JSON.stringify(TABLES),
      SETTLE_SECONDS: '300',
      CONCURRENCY: '2',
      MAX_DATA_AGE_SECONDS: '600',
      ALERT_TOPIC_ARN: 'arn:aws:sns:x:1:alerts',
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  }

  it('dispatches on the action: describe asks AWS Backup about the job', async () => {
    stubEnv();
    backupMock.on(DescribeRestoreJobCommand).resolves({ RestoreJobId: JOB_ID, CreatedBy: {} });
    const { handler } = await import('../../lambda/restore-test-validation/handler.js');
    await expect(handler({ action: 'describe', event: { detail: { restoreJobId: JOB_ID } } })).resolves.toMatchObject({
      ours: false,
      restoreJobId: JOB_ID,
    });
  });

  it('refuses an unknown action', async () => {
    stubEnv();
    const { handler } = await import('../../lambda/restore-test-validation/handler.js');
    await expect(handler({ action: 'delete' })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Invalid restore test validation event: action = "delete"'),
    });
  });

  it('fails at load naming a malformed port', async () => {
    stubEnv();
    vi.stubEnv('SOURCE_PORT', 'postgres');
    await expect(import('../../lambda/restore-test-validation/handler.js')).rejects.toThrow(
      'Environment variable SOURCE_PORT must be a whole number, got "postgres"',
    );
  });

  it.each([
    ['users', 'Environment variable TABLES must be JSON, got users'],
    [
      '[{"name":"Users; drop","tolerance":0}]',
      'Invalid environment variable TABLES: 0.name = "Users; drop"; allowed: a lowercase SQL name',
    ],
    ['[]', 'Invalid environment variable TABLES'],
  ])('fails at load naming a malformed TABLES (%s)', async (value, message) => {
    stubEnv();
    vi.stubEnv('TABLES', value);
    await expect(import('../../lambda/restore-test-validation/handler.js')).rejects.toThrow(message);
  });
});
