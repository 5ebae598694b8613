import { BackupClient, DescribeRestoreJobCommand, PutRestoreValidationResultCommand } from '@aws-sdk/client-backup';
import { RDSClient } from '@aws-sdk/client-rds';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { instanceStatus } from '../../lambda/instance-status/instance-status.js';
import {
  describeRestoreTest,
  recordRestoreTest,
  type ValidationConfig,
  validateRestoreTest,
} from '../../lambda/restore-test-validation/validation.js';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { FakeRds } from '../support/fake-rds.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { ACCOUNT, definitionFrom, REGION, runExecution } from '../support/state-machine.js';
import { createVerifiedDatabase } from '../support/verified-database.js';

// The restore-test validation state machine as synthesized, run locally: real handlers, AWS Backup, RDS and SNS
// mocked, the production database and the restored instance two databases on a real PostgreSQL 15.
const config = loadConfig('dev');
const PLAN_ARN = `arn:aws:backup:${REGION}:${ACCOUNT}:restore-testing-plan:authdb_dev_restore_test-abc`;
const RESTORED = 'awsbackup-restore-test-0a1b2c';
const JOB_ID = 'A1B2C3D4-0000-1111-2222-333344445555';
const SCHEMA = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL,
                      created_at timestamptz NOT NULL);
  CREATE INDEX users_created_idx ON users (created_at);
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, platform text NOT NULL,
                                  oauth_token text NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, user_id bigint, action text NOT NULL,
                           created_at timestamptz NOT NULL);
  INSERT INTO users (email, password_hash, created_at)
    SELECT 'u' || i || '@example.com', md5(i::text), now() - i * interval '1 minute' FROM generate_series(1, 100) AS i;
  INSERT INTO platform_accounts (user_id, platform, oauth_token, created_at)
    SELECT i, 'steam', md5('t' || i), now() - i * interval '1 minute' FROM generate_series(1, 100) AS i;
  INSERT INTO audit_logs (user_id, action, created_at)
    SELECT i, 'login', now() - i * interval '1 minute' FROM generate_series(1, 100) AS i;
`;

let definition: StateMachineDefinition;
let pg: PostgresServer;
const backupMock = mockClient(BackupClient);
const snsMock = mockClient(SNSClient);
let fake: FakeRds;
let runs = 0;

beforeAll(async () => {
  definition = definitionFrom(templateOf('dev', 'recovery'), 'ValidateRestoreTestsStateMachine');
  pg = await startPostgres();
  await createVerifiedDatabase(pg, 'source', SCHEMA, { role: config.drill.verifierRole, tables: config.drill.tables });
}, 600_000);

afterAll(async () => {
  await pg?.stop();
  fake?.restore();
  backupMock.restore();
  snsMock.restore();
});

beforeEach(async () => {
  fake?.restore();
  fake = new FakeRds();
  backupMock.reset();
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  backupMock.on(PutRestoreValidationResultCommand).resolves({});
  backupMock.on(DescribeRestoreJobCommand).resolves({
    RestoreJobId: JOB_ID,
    Status: 'COMPLETED',
    CreatedResourceArn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${RESTORED}`,
    RecoveryPointArn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:awsbackup:job-1`,
    // The snapshot was taken now: every row is at most a few minutes older.
    RecoveryPointCreationDate: new Date(),
    CreatedBy: { RestoreTestingPlanArn: PLAN_ARN },
  });
  await pg.psql('DROP DATABASE IF EXISTS restored WITH (FORCE)');
  await pg.psql('CREATE DATABASE restored TEMPLATE source');
});

const event = {
  source: 'aws.backup',
  'detail-type': 'Restore Job State Change',
  detail: { restoreJobId: JOB_ID, status: 'COMPLETED', resourceType: 'RDS' },
};

async function runValidation(opts: { unreachable?: boolean } = {}) {
  const validationConfig: ValidationConfig = {
    environment: 'dev',
    restoreTestingPlanArn: PLAN_ARN,
    source: { host: 'source', port: 5432 },
    tables: config.drill.tables,
    settleSeconds: config.drill.settleMinutes * 60,
    concurrency: 2,
    maxDataAgeSeconds: 600,
    topicArn: 'arn:aws:sns:x:1:alerts',
  };
  const connectTo = (endpoint: { host: string }) => {
    if (opts.unreachable && endpoint.host !== 'source') {
      return () => Promise.reject(new Error(`Cannot connect to authdb on ${endpoint.host}:5432: timeout expired`));
    }
    return pg.connectionFactory(endpoint.host === 'source' ? 'source' : 'restored', config.drill.verifierRole);
  };
  const deps = {
    backup: new BackupClient({}),
    sns: new SNSClient({}),
    connectTo,
    now: () => new Date(),
  };
  const rds = new RDSClient({ region: REGION });
  const fn = (e: unknown) => {
    const action = (e as { action: string }).action;
    if (action === 'describe') return describeRestoreTest(e, validationConfig, deps);
    if (action === 'validate') return validateRestoreTest(e, validationConfig, deps);
    return recordRestoreTest(e, validationConfig, deps);
  };
  runs += 1;
  return runExecution(definition, event, {
    executionName: `validation-${runs}`,
    startTime: new Date().toISOString(),
    stateMachineName: 'authdb-dr-dev-restore-test-validation',
    handlers: {
      Describe: fn,
      CheckInstance: (e: unknown) => instanceStatus(e, { rds, now: () => new Date() }),
      Validate: fn,
      Record: fn,
    },
  });
}

function recorded() {
  return backupMock.commandCalls(PutRestoreValidationResultCommand).map((call) => call.args[0].input);
}

describe('restore test validation workflow (synthesized definition, real handlers, real PostgreSQL)', () => {
  it('validates a good restore test and records SUCCESSFUL, without an alert', async () => {
    fake.addInstance(RESTORED, {}, ['creating', 'available']);
    const result = await runValidation();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toEqual([
      'Describe',
      'Ours?',
      'CheckInstance',
      'Ready?',
      'WaitForInstance',
      'CheckInstance',
      'Ready?',
      'Validate',
      'Record',
    ]);
    expect(recorded()).toEqual([expect.objectContaining({ RestoreJobId: JOB_ID, ValidationStatus: 'SUCCESSFUL' })]);
    expect(recorded()[0]?.ValidationStatusMessage).toMatch(/schema matches, rows: users 100, platform_accounts 100/);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('records FAILED and alerts when the restore lacks rows and an index', async () => {
    fake.addInstance(RESTORED, {}, ['available']);
    // Rows well before the recovery point (settled): the newest few minutes are not judged.
    await pg.psql('DELETE FROM users WHERE id BETWEEN 50 AND 59; DROP INDEX users_created_idx', 'restored');
    const result = await runValidation();
    expect(result.status).toBe('SUCCEEDED');
    const [call] = recorded();
    expect(call?.ValidationStatus).toBe('FAILED');
    expect(call?.ValidationStatusMessage).toContain('users: 10 settled rows of the source missing');
    expect(call?.ValidationStatusMessage).toContain('schema: index users.users_created_idx missing in the restore');
    const alert = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(alert?.Subject).toBe('[authdb-dr dev] restore test validation FAILED');
    expect(alert?.Message).toContain(JOB_ID);
  });

  it('records FAILED, not pending, when the instance never becomes reachable', async () => {
    fake.addInstance(RESTORED, {}, ['available']);
    const result = await runValidation({ unreachable: true });
    expect(result.states).toContain('Validate');
    expect(recorded()).toEqual([expect.objectContaining({ ValidationStatus: 'FAILED' })]);
    expect(recorded()[0]?.ValidationStatusMessage).toMatch(/could not validate: .*timeout expired/);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it('records FAILED when the instance never becomes available', async () => {
    fake.addInstance(RESTORED, {}, ['incompatible-network']);
    const result = await runValidation();
    expect(result.states).not.toContain('Validate');
    expect(recorded()).toEqual([expect.objectContaining({ ValidationStatus: 'FAILED' })]);
    expect(recorded()[0]?.ValidationStatusMessage).toContain('never became available (status incompatible-network)');
  });

  it('leaves restore jobs of other plans alone', async () => {
    backupMock.on(DescribeRestoreJobCommand).resolves({
      RestoreJobId: JOB_ID,
      CreatedBy: { RestoreTestingPlanArn: `${PLAN_ARN}-other` },
    });
    const result = await runValidation();
    expect(result.states).toEqual(['Describe', 'Ours?', 'NotOurs']);
    expect(recorded()).toEqual([]);
  });
});
