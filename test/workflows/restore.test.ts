import { ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Template } from 'aws-cdk-lib/assertions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIdentityProof } from '../../cli/identity-proof.js';
import { proofPurpose, stsHost } from '../../contract/identity-proof.js';
import { verifier } from '../../lambda/drill-verifier/verifier.js';
import { instanceStatus } from '../../lambda/instance-status/instance-status.js';
import { approval } from '../../lambda/restore-approval/approval.js';
import { cutover } from '../../lambda/restore-cutover/cutover.js';
import { finishRestore } from '../../lambda/restore-finish/finish.js';
import { type RestoreReport, reportRestore } from '../../lambda/restore-report/report.js';
import { startRestore } from '../../lambda/restore-start/start.js';
import { type ValidateConfig, validateRestore } from '../../lambda/restore-validate/validate.js';
import { PURPOSE_RESTORED, TAG_EXECUTION, TAG_PURPOSE, TAG_STATUS } from '../../lambda/shared/tags.js';
import { loadConfig } from '../../lib/config/load.js';
import { environmentStacks, templateOf } from '../support/app.js';
import { FakeRds } from '../support/fake-rds.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { ACCOUNT, definitionFrom, type ExecutionResult, REGION, runExecution } from '../support/state-machine.js';
import { type StsIdentity, StsStandin, twoOperators } from '../support/sts-standin.js';
import { createVerifiedDatabase, writtenReport } from '../support/verified-database.js';

const config = loadConfig('dev');
const SOURCE = 'authdb-dev';
const TARGET = 'authdb-dev-restored-1';
const MACHINE = 'authdb-dr-dev-restore';
const SCHEMA = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, action text NOT NULL, created_at timestamptz NOT NULL);
  INSERT INTO users (email, created_at) SELECT 'u' || i, now() - i * interval '1 minute' FROM generate_series(1, 90) i;
  INSERT INTO platform_accounts (user_id, created_at) SELECT i, now() - i * interval '1 minute' FROM generate_series(1, 60) i;
  INSERT INTO audit_logs (action, created_at) SELECT 'login', now() - i * interval '30 seconds' FROM generate_series(1, 150) i;
`;

let pgServer: PostgresServer;
let definition: StateMachineDefinition;
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const sfnMock = mockClient(SFNClient);
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${MACHINE}`;
const START_TIME = '2026-11-26T05:40:00.000Z';
const cutoverConfig = { sourceInstanceId: SOURCE, stateMachineArn: STATE_MACHINE_ARN };
let fake: FakeRds;
let runs = 0;
const validateConfig = {
  environment: 'dev',
  sourceInstanceId: SOURCE,
  allowedInstanceClasses: config.restore.allowedInstanceClasses,
  dataLossAcknowledgementAfterHours: config.cutover.dataLossAcknowledgementAfterHours,
  approvalRequired: config.cutover.requireApproval,
  identity: { stsHost: stsHost(REGION), account: ACCOUNT },
};

beforeAll(async () => {
  definition = definitionFrom(templateOf('dev', 'recovery'), 'RestoreStateMachine');
  pgServer = await startPostgres();
  await createVerifiedDatabase(pgServer, 'source', SCHEMA, {
    role: config.drill.verifierRole,
    tables: config.drill.tables,
  });
});

afterAll(async () => {
  await pgServer?.stop();
  fake?.restore();
  s3Mock.restore();
  snsMock.restore();
  sfnMock.restore();
});

beforeEach(async () => {
  fake?.restore();
  fake = new FakeRds();
  fake.addSource(SOURCE, [240_000]);
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  await pgServer.psql('DROP DATABASE IF EXISTS restored WITH (FORCE)');
  await pgServer.psql('CREATE DATABASE restored TEMPLATE source');
});

/** The execution under test as Step Functions describes it: of the restore machine, with its input. */
const execution = { status: 'RUNNING', input: {} as unknown, startDate: new Date(START_TIME) };
function describeExecutionAs(input: unknown, status = 'RUNNING') {
  Object.assign(execution, { input, status });
  sfnMock.reset();
  sfnMock.on(DescribeExecutionCommand).callsFake(({ executionArn }) => ({
    executionArn,
    stateMachineArn: STATE_MACHINE_ARN,
    status: execution.status,
    input: JSON.stringify(execution.input),
    startDate: execution.startDate,
  }));
}

interface RunOptions {
  renameCheckNow?: () => Date;
  /** Another synthesized definition (e.g. with the approval states), its extra tasks bound in `handlers`. */
  definition?: StateMachineDefinition;
  handlers?: Record<string, (input: unknown) => Promise<unknown>>;
  validate?: Partial<ValidateConfig>;
  /** The execution's name (known before the start: identity proofs are bound to the execution). */
  name?: string;
}

async function runRestore(input: unknown, opts: RunOptions = {}): Promise<ExecutionResult> {
  const name = opts.name ?? `restore-test-${++runs}`;
  describeExecutionAs(input);
  const sfnClient = new SFNClient({ region: REGION });
  const rds = new RDSClient({ region: REGION });
  const now = () => new Date();
  const tables = config.drill.tables;
  const verifierConfig = { tables, settleSeconds: config.drill.settleMinutes * 60, concurrency: 2 };
  const connectTo = (endpoint: { host: string }) =>
    pgServer.connectionFactory(
      endpoint.host.startsWith(`${SOURCE}.`) ? 'source' : 'restored',
      config.drill.verifierRole,
    );
  const status = (e: unknown) => instanceStatus(e, { rds, now });
  const handlers = {
    Validate: (e: unknown) => {
      // The local interpreter stamps its own start time; Step Functions reports the same one it gives the context.
      execution.startDate = new Date((e as { execution: { StartTime: string } }).execution.StartTime);
      return validateRestore(e, { ...validateConfig, ...opts.validate }, { rds, now });
    },
    StartRestore: (e: unknown) => startRestore(e, { rds, now }),
    CheckTarget: status,
    ApplySettings: (e: unknown) =>
      finishRestore(
        e,
        {
          drRegion: 'ap-northeast-1',
          drKeyArn: 'arn:aws:kms:ap-northeast-1:111111111111:key/dr',
          replicationRetentionDays: 7,
        },
        { rds, drRds: new RDSClient({ region: 'ap-northeast-1' }), now },
      ),
    CheckSettings: status,
    CountSource: (e: unknown) => verifier(e, verifierConfig, { connectTo, now }),
    Verify: (e: unknown) => verifier(e, verifierConfig, { connectTo, now }),
    RenameSource: (e: unknown) => cutover(e, cutoverConfig, { rds, sfn: sfnClient, now }),
    CheckSourceRenamed: status,
    RenameTarget: (e: unknown) => cutover(e, cutoverConfig, { rds, sfn: sfnClient, now }),
    CheckTargetRenamed: (e: unknown) => instanceStatus(e, { rds, now: opts.renameCheckNow ?? now }),
    RollBackSourceName: (e: unknown) => cutover(e, cutoverConfig, { rds, sfn: sfnClient, now }),
    MarkFailed: (e: unknown) =>
      finishRestore(
        e,
        { drRegion: 'ap-northeast-1', drKeyArn: 'k', replicationRetentionDays: 7 },
        {
          rds,
          drRds: rds,
          now,
        },
      ),
    Report: (e: unknown) =>
      reportRestore(
        e,
        { environment: 'dev', bucket: 'reports', topicArn: 'arn:aws:sns:x:1:alerts', rtoTargetSeconds: 900 },
        {
          s3: new S3Client({}),
          sns: new SNSClient({}),
          metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
          now,
        },
      ),
    ...opts.handlers,
  };
  return runExecution(opts.definition ?? definition, input, {
    executionName: name,
    startTime: START_TIME,
    stateMachineName: MACHINE,
    handlers,
  });
}

const report = () => writtenReport<RestoreReport>(s3Mock);

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

/** The name the source gets at cutover, as the plan decided it. */
function preRestoreId(result: ExecutionResult): string {
  const plan = (
    result.visits.find((v) => v.name === 'StartRestore')!.input as { plan: { preRestoreInstanceId: string } }
  ).plan;
  expect(plan.preRestoreInstanceId).toMatch(new RegExp(`^${SOURCE}-pre-restore-\\d{12}$`));
  return plan.preRestoreInstanceId;
}

describe('restore workflow (synthesized definition, real handlers, mocked AWS, real PostgreSQL)', () => {
  it('restores to a point in time into a new instance with production settings, verifies and reports, without cutover', async () => {
    const time = minutesAgo(30);
    const result = await runRestore({ sourceInstanceId: SOURCE, restoreTime: time, targetInstanceId: TARGET });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).toContain('ApplySettings');
    expect(result.states).toContain('CountSource');
    expect(result.states.slice(-4)).toEqual(['Cutover?', 'Report', 'Outcome', 'RestoreSucceeded']);

    const [restore] = fake.callsOf('RestoreToPointInTime');
    expect(restore).toMatchObject({
      SourceDBInstanceIdentifier: SOURCE,
      TargetDBInstanceIdentifier: TARGET,
      RestoreTime: new Date(time),
      DBInstanceClass: 'db.t4g.medium',
      DBSubnetGroupName: 'authdb-subnets',
      VpcSecurityGroupIds: ['sg-0database'],
      DBParameterGroupName: 'authdb-params',
      OptionGroupName: 'default:postgres-15',
      MultiAZ: false,
      DeletionProtection: true,
      PubliclyAccessible: false,
      BackupRetentionPeriod: 7,
      EnableIAMDatabaseAuthentication: true,
      EnableCloudwatchLogsExports: ['postgresql', 'upgrade', 'iam-db-auth-error'],
      ManageMasterUserPassword: true,
    });
    expect(restore!.Tags).toEqual(
      expect.arrayContaining([
        { Key: TAG_PURPOSE, Value: PURPOSE_RESTORED },
        { Key: TAG_EXECUTION, Value: result.executionArn },
      ]),
    );
    // What the restore API cannot set, applied once available; backups replicated to the DR region.
    expect(fake.callsOf('Modify')).toEqual([
      expect.objectContaining({
        DBInstanceIdentifier: TARGET,
        EnablePerformanceInsights: true,
        MonitoringInterval: 60,
        MonitoringRoleArn: `arn:aws:iam::${ACCOUNT}:role/monitoring`,
        ApplyImmediately: true,
      }),
    ]);
    expect(fake.callsOf('StartReplication')).toEqual([expect.objectContaining({ DBInstanceIdentifier: TARGET })]);
    // Never touched the source.
    expect(fake.mutations().filter((m) => m.endsWith(`:${SOURCE}`))).toEqual([]);
    expect(fake.instances.has(SOURCE)).toBe(true);

    const r = report();
    expect(r).toMatchObject({ outcome: 'succeeded', targetInstanceId: TARGET, cutover: { requested: false } });
    expect(r.verification).toMatchObject({ compared: true, complete: true });
  });

  it('cuts over when confirmed: the source is renamed aside, then the restored instance takes its name', async () => {
    const result = await runRestore({
      sourceInstanceId: SOURCE,
      restoreTime: 'latest',
      targetInstanceId: TARGET,
      cutover: { confirmSourceInstanceId: SOURCE },
    });
    expect(result.error, result.cause).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.callsOf('RestoreToPointInTime')[0]).toMatchObject({ UseLatestRestorableTime: true });
    const aside = preRestoreId(result);
    const renames = fake.callsOf('Modify').filter((c) => c.NewDBInstanceIdentifier);
    expect(renames.map((c) => `${c.DBInstanceIdentifier}->${c.NewDBInstanceIdentifier}`)).toEqual([
      `${SOURCE}->${aside}`,
      `${TARGET}->${SOURCE}`,
    ]);
    // The endpoint name now belongs to the restored instance; the old one is kept under its new name.
    expect(fake.instances.get(SOURCE)!.tags).toContainEqual({ Key: TAG_PURPOSE, Value: PURPOSE_RESTORED });
    expect(fake.instances.has(aside)).toBe(true);
    expect(fake.mutations().some((m) => m.startsWith('Delete'))).toBe(false);
    expect(report()).toMatchObject({ outcome: 'succeeded', targetInstanceId: SOURCE, cutover: { requested: true } });
  });

  it('reports per table the rows the old instance holds after the recovery point, with the command to export them', async () => {
    const time = minutesAgo(20);
    // Written to the source after the restore copied it: only the old instance holds these.
    await pgServer.psql(`INSERT INTO users (email, created_at) VALUES ('late-1', now()), ('late-2', now())`, 'source');
    try {
      const result = await runRestore({
        sourceInstanceId: SOURCE,
        restoreTime: time,
        targetInstanceId: TARGET,
        cutover: { confirmSourceInstanceId: SOURCE },
      });
      expect(result.error, result.cause).toBeUndefined();
      const aside = preRestoreId(result);
      const r = report();
      const point = new Date(time).toISOString();
      expect(r.rowsAfterRecoveryPoint).toMatchObject({ recoveryPoint: point, heldBy: aside });
      // Counted independently on the source: rows stamped after the point, none at or before it.
      const expected = async (table: string) =>
        Number(await pgServer.psql(`SELECT count(*) FROM ${table} WHERE created_at > '${point}'`, 'source'));
      for (const table of ['users', 'platform_accounts', 'audit_logs']) {
        expect(r.tables.find((t) => t.table === table)?.rowsAfterRecoveryPoint, table).toBe(await expected(table));
      }
      const users = r.tables.find((t) => t.table === 'users')!.rowsAfterRecoveryPoint;
      // 20 minutes of rows seeded once a minute, plus the two late ones.
      expect(users).toBeGreaterThanOrEqual(20);
      const message = String(snsMock.commandCalls(PublishCommand).at(-1)!.args[0].input.Message);
      expect(message).toContain(`Rows after the recovery point ${point} in ${aside}`);
      expect(message).toContain('README "Moving rows between instances"');
      expect(message).toContain(
        `  users: ${users} rows with created_at > '${point}'; export: psql "$FROM" -v ON_ERROR_STOP=1 -c ` +
          `"\\copy (SELECT * FROM users WHERE created_at > '${point}') TO 'users-after-recovery-point.csv' ` +
          'WITH (FORMAT csv, HEADER)"',
      );
    } finally {
      await pgServer.psql(`DELETE FROM users WHERE email LIKE 'late-%'`, 'source');
    }
  });

  it('rolls the source name back when the second rename fails, and keeps the restored instance', async () => {
    fake.renameErrors.set(TARGET, Object.assign(new Error('Not allowed'), { name: 'InvalidDBInstanceStateFault' }));
    const result = await runRestore({
      sourceInstanceId: SOURCE,
      restoreTime: 'latest',
      targetInstanceId: TARGET,
      cutover: { confirmSourceInstanceId: SOURCE },
    });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidDBInstanceStateFault');
    expect(result.states).toEqual(
      expect.arrayContaining(['RenameTarget', 'RollBackSourceName', 'MarkFailed', 'Report']),
    );
    const aside = preRestoreId(result);
    const renames = fake.callsOf('Modify').filter((c) => c.NewDBInstanceIdentifier);
    expect(renames.map((c) => `${c.DBInstanceIdentifier}->${c.NewDBInstanceIdentifier}`)).toEqual([
      `${SOURCE}->${aside}`,
      `${TARGET}->${SOURCE}`,
      `${aside}->${SOURCE}`,
    ]);
    expect(fake.instances.has(SOURCE)).toBe(true);
    expect(fake.instances.has(TARGET)).toBe(true);
    expect(fake.callsOf('AddTags')).toEqual([
      expect.objectContaining({
        DBInstanceIdentifier: TARGET,
        Tags: [{ Key: TAG_STATUS, Value: 'failed: InvalidDBInstanceStateFault' }],
      }),
    ]);
    expect(fake.mutations().some((m) => m.startsWith('Delete'))).toBe(false);
    expect(report()).toMatchObject({ outcome: 'failed', cutover: { requested: true } });
  });

  it('fails with the API error when the restore is refused, creating nothing and deleting nothing', async () => {
    fake.restoreError = Object.assign(new Error('Storage quota exceeded'), { name: 'StorageQuotaExceededFault' });
    const result = await runRestore({ sourceInstanceId: SOURCE, restoreTime: 'latest', targetInstanceId: TARGET });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('StorageQuotaExceededFault');
    expect(result.states.slice(-5)).toEqual(['StartRestore', 'MarkFailed', 'Report', 'Outcome', 'RestoreFailed']);
    expect(fake.mutations()).toEqual([`RestoreToPointInTime:${TARGET}`]);
    expect(report().outcome).toBe('failed');
  });

  it('keeps and tags a restored instance that ends incompatible-restore, never deleting it', async () => {
    fake.restoredStatuses = ['creating', 'incompatible-restore'];
    const result = await runRestore({ sourceInstanceId: SOURCE, restoreTime: 'latest', targetInstanceId: TARGET });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreFailed');
    expect(fake.mutations()).toEqual([`RestoreToPointInTime:${TARGET}`, `AddTags:${TARGET}`]);
  });
});

const CUTOVER_INPUT = {
  sourceInstanceId: SOURCE,
  restoreTime: 'latest',
  targetInstanceId: TARGET,
  cutover: { confirmSourceInstanceId: SOURCE },
};
const fault = (name: string) => Object.assign(new Error(name), { name });

/** The instance that holds the production name: the original (untagged) or the restored one. */
function holder(): 'original' | 'restored' | 'nobody' {
  const instance = fake.instances.get(SOURCE);
  if (!instance) return 'nobody';
  return instance.tags.some((t) => t.Key === TAG_PURPOSE && t.Value === PURPOSE_RESTORED) ? 'restored' : 'original';
}

/** The alert: the restore's SNS summary says it failed (and the RestoreUnsuccessful alarm fires, see the stack test). */
function expectFailureAlert(): void {
  const published = snsMock.commandCalls(PublishCommand).map((c) => String(c.args[0].input.Subject));
  expect(published).toEqual([expect.stringMatching(/restore failed/)]);
}

describe('cutover failure points: each ends with an instance holding the production name, and an alert', () => {
  it('the source rename fails after RDS applied it (lost response): rolls back, the original has its name again', async () => {
    fake.renameErrorsAfterApplying.set(SOURCE, fault('InternalFailure'));
    const result = await runRestore(CUTOVER_INPUT);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InternalFailure');
    expect(result.states).toEqual(expect.arrayContaining(['RenameSource', 'RollBackSourceName', 'MarkFailed']));
    expect(result.states).not.toContain('RenameTarget');
    expect(holder()).toBe('original');
    expect(fake.instances.has(preRestoreId(result))).toBe(false);
    expectFailureAlert();
  });

  it('the source rename is refused: nothing to roll back, the original keeps its name', async () => {
    fake.renameErrors.set(SOURCE, fault('InvalidDBInstanceStateFault'));
    const result = await runRestore(CUTOVER_INPUT);
    expect(result.error).toBe('InvalidDBInstanceStateFault');
    expect(result.states).toContain('RollBackSourceName');
    expect(holder()).toBe('original');
    expectFailureAlert();
  });

  it('the target rename fails: the original is renamed back', async () => {
    fake.renameErrors.set(TARGET, fault('InvalidDBInstanceStateFault'));
    const result = await runRestore(CUTOVER_INPUT);
    expect(result.error).toBe('InvalidDBInstanceStateFault');
    expect(holder()).toBe('original');
    expect(fake.instances.has(TARGET)).toBe(true);
    const rolledBack = result.visits.find((v) => v.name === 'RollBackSourceName')!.output as {
      rollBack: { holder: string };
    };
    expect(rolledBack.rollBack.holder).toBe('original');
    expectFailureAlert();
  });

  it('the target rename never completes in time: the roll-back waits, and the restored instance keeps the name it got', async () => {
    fake.renameStatuses = ['renaming', 'renaming', 'renaming', 'available'];
    // Every look at the renamed target comes after the rename wait (30 minutes) has passed.
    const result = await runRestore(CUTOVER_INPUT, { renameCheckNow: () => new Date(Date.now() + 31 * 60_000) });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreTimedOut');
    expect(result.states).toEqual(expect.arrayContaining(['TargetRenamedTimedOut', 'RollBackSourceName']));
    // It waited (NameNotSettled while the name was renaming) instead of renaming the original into a taken name.
    expect(result.retries.filter((r) => r === 'RollBackSourceName').length).toBeGreaterThan(0);
    expect(holder()).toBe('restored');
    expect(fake.instances.has(preRestoreId(result))).toBe(true);
    expectFailureAlert();
  });

  it('the roll-back finds the name taken: it retries until the name is free, then renames the original back', async () => {
    fake.renameErrors.set(TARGET, fault('InvalidDBInstanceStateFault'));
    // RDS refuses the first two renames back: the name is still taken (as while another rename settles).
    fake.renameErrorsOnce.set(`${SOURCE}-pre-restore-`, [
      fault('DBInstanceAlreadyExistsFault'),
      fault('DBInstanceAlreadyExistsFault'),
    ]);
    const result = await runRestore(CUTOVER_INPUT);
    expect(result.status).toBe('FAILED');
    const renamesBack = fake.callsOf('Modify').filter((c) => c.NewDBInstanceIdentifier === SOURCE);
    expect(renamesBack.length).toBeGreaterThanOrEqual(3);
    expect(result.retries.filter((r) => r === 'RollBackSourceName').length).toBeGreaterThanOrEqual(2);
    expect(holder()).toBe('original');
    expectFailureAlert();
  });

  it('measures the window without a production endpoint: from the source rename to the target answering by its name', async () => {
    const result = await runRestore(CUTOVER_INPUT);
    expect(result.status).toBe('SUCCEEDED');
    const from = result.states.indexOf('RenameSource');
    const to = result.states.lastIndexOf('CheckTargetRenamed');
    const polls = result.states.slice(from, to + 1).filter((s) => s.startsWith('WaitFor')).length;
    const pollSeconds = config.drill.pollSeconds;
    // With RDS taking one look per rename here, the name is missing for the polls below plus RDS's rename time.
    console.info(`window without a production endpoint: ${polls} polls of ${pollSeconds} s = ${polls * pollSeconds} s`);
    // Two looks per rename (wait, renaming; wait, available): the window is 4 polls plus what RDS itself takes.
    expect(polls).toBe(4);
  });
});

describe('roll-back after an aborted or timed-out restore (the EventBridge rule starts this machine)', () => {
  let rollBackDefinition: StateMachineDefinition;
  beforeAll(() => {
    rollBackDefinition = definitionFrom(templateOf('dev', 'recovery'), 'RestoreRollBackStateMachine');
  });
  const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${MACHINE}:aborted-1`;
  const run = () => {
    const rds = new RDSClient({ region: REGION });
    const sfn = new SFNClient({ region: REGION });
    return runExecution(
      rollBackDefinition,
      {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: { executionArn, status: 'ABORTED', stateMachineArn: STATE_MACHINE_ARN },
      },
      {
        executionName: `rollback-${++runs}`,
        startTime: new Date().toISOString(),
        stateMachineName: `${MACHINE}-rollback`,
        handlers: {
          RollBackEndedCutover: (e: unknown) => cutover(e, cutoverConfig, { rds, sfn, now: () => new Date() }),
        },
      },
    );
  };

  it('renames the original back when the execution was aborted between the two renames', async () => {
    describeExecutionAs(CUTOVER_INPUT, 'ABORTED');
    execution.startDate = new Date(START_TIME);
    const aside = `${SOURCE}-pre-restore-202611260540`;
    await new RDSClient({ region: REGION }).send(
      new ModifyDBInstanceCommand({
        DBInstanceIdentifier: SOURCE,
        NewDBInstanceIdentifier: aside,
        ApplyImmediately: true,
      }),
    );
    expect(holder()).toBe('nobody');
    const result = await run();
    expect(result.error, result.cause).toBeUndefined();
    expect(result.states.at(-1)).toBe('ProductionNameHeld');
    expect(holder()).toBe('original');
  });

  it('renames nothing for an aborted restore that asked for no cutover', async () => {
    describeExecutionAs({ sourceInstanceId: SOURCE, restoreTime: 'latest', targetInstanceId: TARGET }, 'ABORTED');
    const result = await run();
    expect(result.status).toBe('SUCCEEDED');
    expect(fake.mutations()).toEqual([]);
  });

  it('refuses an execution of another state machine, and fails (alarmed) without renaming', async () => {
    describeExecutionAs(CUTOVER_INPUT, 'ABORTED');
    sfnMock.on(DescribeExecutionCommand).resolves({
      stateMachineArn: `${STATE_MACHINE_ARN}-other`,
      status: 'ABORTED',
      input: JSON.stringify(CUTOVER_INPUT),
      startDate: new Date(),
    });
    const result = await run();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('NotCalledByRestore');
    expect(result.retries).toEqual([]);
    expect(fake.mutations()).toEqual([]);
  });
});

describe('restore input validation: every bad input fails before anything is created', () => {
  const valid = { sourceInstanceId: SOURCE, restoreTime: 'latest', targetInstanceId: TARGET };
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'a malformed time',
      { ...valid, restoreTime: 'yesterday' },
      'InvalidInput',
      /restoreTime = "yesterday"; allowed: an ISO-8601 time with a zone/,
    ],
    [
      'a time without zone',
      { ...valid, restoreTime: '2026-11-26T02:55:00' },
      'InvalidInput',
      /restoreTime = "2026-11-26T02:55:00"/,
    ],
    [
      'a time before the restorable window',
      { ...valid, restoreTime: '2026-01-01T00:00:00Z' },
      'RecoveryPointOutsideWindow',
      /outside the restorable window; allowed: from \S+ to \S+/,
    ],
    [
      'a time in the future',
      { ...valid, restoreTime: new Date(Date.now() + 3_600_000).toISOString() },
      'RecoveryPointOutsideWindow',
      /outside the restorable window/,
    ],
    [
      'a malformed target id',
      { ...valid, targetInstanceId: 'Restored_DB' },
      'InvalidInput',
      /targetInstanceId = "Restored_DB"; allowed: lowercase letters/,
    ],
    [
      'a target id with a double hyphen',
      { ...valid, targetInstanceId: 'authdb--x' },
      'InvalidInput',
      /targetInstanceId = "authdb--x"/,
    ],
    [
      'a target id too long',
      { ...valid, targetInstanceId: `a${'b'.repeat(63)}` },
      'InvalidInput',
      /targetInstanceId = "ab+"; allowed: at most 63 characters/,
    ],
    [
      'a target id in use',
      { ...valid, targetInstanceId: 'authdb-dev-restored-0' },
      'TargetInUse',
      /targetInstanceId = "authdb-dev-restored-0" is already in use/,
    ],
    [
      'a target id of another name',
      { ...valid, targetInstanceId: 'scratch-copy' },
      'InvalidInput',
      /targetInstanceId = "scratch-copy"; allowed: a new identifier starting with authdb-dev-restored/,
    ],
    [
      'the target equal to the source',
      { ...valid, targetInstanceId: SOURCE },
      'InvalidInput',
      /targetInstanceId = "authdb-dev"; allowed: a new identifier, not the source/,
    ],
    [
      'a source id too long for the cutover suffix',
      { ...valid, sourceInstanceId: `a${'b'.repeat(38)}` },
      'InvalidInput',
      /sourceInstanceId = "ab+"; allowed: at most 38 characters/,
    ],
    [
      'another source than this environment',
      { ...valid, sourceInstanceId: 'authdb-prod', targetInstanceId: 'authdb-prod-restored-1' },
      'InvalidInput',
      /sourceInstanceId = "authdb-prod"; allowed: authdb-dev/,
    ],
    [
      'an unknown snapshot',
      { sourceInstanceId: SOURCE, snapshotIdentifier: 'rds:authdb-dev-nope', targetInstanceId: TARGET },
      'SnapshotNotFound',
      /Snapshot rds:authdb-dev-nope does not exist/,
    ],
    [
      'a snapshot of another instance',
      { sourceInstanceId: SOURCE, snapshotIdentifier: 'other-snap', targetInstanceId: TARGET },
      'SnapshotNotFound',
      /is of someone-else; allowed: a snapshot of authdb-dev/,
    ],
    [
      'an unknown recovery point',
      {
        sourceInstanceId: SOURCE,
        recoveryPointArn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:awsbackup:job-404`,
        targetInstanceId: TARGET,
      },
      'SnapshotNotFound',
      /job-404 does not exist/,
    ],
    [
      'a recovery point of another resource type',
      {
        sourceInstanceId: SOURCE,
        recoveryPointArn: `arn:aws:ec2:${REGION}::snapshot/snap-0123`,
        targetInstanceId: TARGET,
      },
      'InvalidInput',
      /allowed: a recovery point of an RDS database .* not of ec2/,
    ],
    [
      'an instance class not allowed',
      { ...valid, instanceClass: 'db.x2g.16xlarge' },
      'InvalidInput',
      /instanceClass = "db.x2g.16xlarge"; allowed: db.t4g.medium, db.r6g.large, db.r6g.xlarge/,
    ],
    ['an unknown field', { ...valid, force: true }, 'InvalidInput', /force: unknown field/],
    [
      'a missing target',
      { sourceInstanceId: SOURCE, restoreTime: 'latest' },
      'InvalidInput',
      /targetInstanceId = missing/,
    ],
    [
      'no recovery point',
      { sourceInstanceId: SOURCE, targetInstanceId: TARGET },
      'InvalidInput',
      /allowed: exactly one of restoreTime, snapshotIdentifier or recoveryPointArn/,
    ],
    [
      'two recovery points',
      { ...valid, snapshotIdentifier: 'x' },
      'InvalidInput',
      /allowed: exactly one of restoreTime/,
    ],
    [
      'a cutover confirming another id',
      { ...valid, cutover: { confirmSourceInstanceId: 'authdb-prod' } },
      'InvalidInput',
      /cutover.confirmSourceInstanceId = "authdb-prod"; allowed: exactly the source instance id \(authdb-dev\)/,
    ],
    ...findingNineCases(),
  ];

  it('has at least 60 bad inputs, each with its own expected message', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map(([name]) => name)).size).toBe(cases.length);
  });

  it('takes the restorable window from the automated backup of this instance (DbiResourceId), not the first listed', async () => {
    // A retained backup of an earlier instance of the same name, listed first, with a window this one never had.
    fake.automatedBackups = [
      {
        DBInstanceIdentifier: SOURCE,
        DbiResourceId: 'db-DELETED-EARLIER',
        Status: 'retained',
        RestoreWindow: { EarliestTime: daysAgo(30), LatestTime: daysAgo(20) },
      },
      {
        DBInstanceIdentifier: SOURCE,
        DbiResourceId: `db-${SOURCE.toUpperCase()}`,
        Status: 'active',
        RestoreWindow: { EarliestTime: daysAgo(2), LatestTime: new Date() },
      },
    ];
    const result = await runRestore({ ...valid, restoreTime: daysAgo(25).toISOString() });
    expect(result.error).toBe('RecoveryPointOutsideWindow');
    expect(result.cause).toMatch(/outside the restorable window; allowed: from \S+ to \S+/);
    expect(Date.parse(/allowed: from (\S+)/.exec(result.cause!)![1]!)).toBeGreaterThan(daysAgo(3).getTime());
    expect(fake.callsOf('DescribeAutomatedBackups')).toEqual([{ DbiResourceId: `db-${SOURCE.toUpperCase()}` }]);
    expect(fake.mutations()).toEqual([]);
  });

  it('accepts a cutover to an old point when the data loss is acknowledged with at least its age', async () => {
    const execution = {
      Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${MACHINE}:ack`,
      Name: 'ack',
      StartTime: new Date().toISOString(),
    };
    const rds = new RDSClient({ region: REGION });
    const input = { ...valid, restoreTime: minutesAgo(180), cutover: { confirmSourceInstanceId: SOURCE } };
    const validate = (acceptDataLossHours: number) =>
      validateRestore(
        { input: { ...input, cutover: { ...input.cutover, acceptDataLossHours } }, execution },
        validateConfig,
        {
          rds,
          now: () => new Date(),
        },
      );
    await expect(validate(3.1)).resolves.toMatchObject({
      cutover: true,
      restoreTime: input.restoreTime,
    });
    await expect(validate(2.9)).rejects.toThrow(/acceptDataLossHours = 2.9; allowed: at least 3/);
  });

  it.each(cases)('rejects %s', async (_, input, error, cause) => {
    fake.addInstance('authdb-dev-restored-0', {});
    fake.snapshots = FIXTURE_SNAPSHOTS();
    const result = await runRestore(input);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(error);
    expect(result.cause).toMatch(cause);
    expect(result.states).toEqual(['Validate', 'RestoreRejected']);
    expect(fake.mutations()).toEqual([]);
  });
});

const rdsArnOf = (name: string, region = REGION, account = ACCOUNT, partition = 'aws') =>
  `arn:${partition}:rds:${region}:${account}:snapshot:${name}`;
const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);
/** Snapshots every bad-input case can refer to. */
const FIXTURE_SNAPSHOTS = () => [
  {
    DBSnapshotIdentifier: 'other-snap',
    DBInstanceIdentifier: 'someone-else',
    Status: 'available',
    SnapshotCreateTime: new Date(),
  },
  {
    DBSnapshotIdentifier: 'authdb-dev-creating',
    DBInstanceIdentifier: SOURCE,
    Status: 'creating',
    SnapshotCreateTime: new Date(),
  },
  {
    DBSnapshotIdentifier: 'authdb-dev-old',
    DBSnapshotArn: rdsArnOf('authdb-dev-old'),
    DBInstanceIdentifier: SOURCE,
    SnapshotType: 'manual',
    Status: 'available',
    SnapshotCreateTime: daysAgo(180),
  },
  {
    DBSnapshotIdentifier: 'awsbackup:job-old',
    DBSnapshotArn: rdsArnOf('awsbackup:job-old'),
    DBInstanceIdentifier: SOURCE,
    SnapshotType: 'awsbackup',
    Status: 'available',
    SnapshotCreateTime: daysAgo(10),
  },
  {
    DBSnapshotIdentifier: 'awsbackup:job-other',
    DBSnapshotArn: rdsArnOf('awsbackup:job-other'),
    DBInstanceIdentifier: 'someone-else',
    SnapshotType: 'awsbackup',
    Status: 'available',
    SnapshotCreateTime: daysAgo(1),
  },
];

/** Issue 8, finding 9: the inputs that got through, and more of every kind. */
function findingNineCases(): [string, Record<string, unknown>, string, RegExp][] {
  const valid = { sourceInstanceId: SOURCE, restoreTime: 'latest', targetInstanceId: TARGET };
  const point = (arn: string) => ({ sourceInstanceId: SOURCE, recoveryPointArn: arn, targetInstanceId: TARGET });
  const snapshot = (id: string) => ({ sourceInstanceId: SOURCE, snapshotIdentifier: id, targetInstanceId: TARGET });
  const confirm = { confirmSourceInstanceId: SOURCE };
  const long = 'x'.repeat(10_000);
  /** A repeated value is cut to 80 characters and its full length said: never a run of more than 80 x. */
  const capped = (field: string) =>
    new RegExp(`^(?!.*x{81})Invalid restore input: (.*; )?${field} = "x{79}…\\(10002 characters\\)`);
  return [
    [
      'a recovery point of another account',
      point(rdsArnOf('awsbackup:job-1', REGION, '999999999999')),
      'InvalidInput',
      /recoveryPointArn = ".*" is of account 999999999999; allowed: an RDS snapshot of partition aws, region ap-northeast-2, account 111111111111/,
    ],
    [
      'a recovery point of another region',
      point(rdsArnOf('awsbackup:job-1', 'us-east-1')),
      'InvalidInput',
      /is of region us-east-1; allowed: an RDS snapshot of partition aws, region ap-northeast-2/,
    ],
    [
      'a recovery point of another partition',
      point(rdsArnOf('awsbackup:job-1', 'cn-north-1', ACCOUNT, 'aws-cn')),
      'InvalidInput',
      /is of partition aws-cn, region cn-north-1; allowed/,
    ],
    [
      'a recovery point of the GovCloud partition',
      point(rdsArnOf('awsbackup:job-1', 'us-gov-west-1', ACCOUNT, 'aws-us-gov')),
      'InvalidInput',
      /is of partition aws-us-gov, region us-gov-west-1/,
    ],
    [
      'a recovery point of another account and region',
      point(rdsArnOf('awsbackup:job-1', 'eu-west-1', '222222222222')),
      'InvalidInput',
      /is of region eu-west-1, account 222222222222/,
    ],
    [
      'a manual snapshot as recovery point',
      point(rdsArnOf('authdb-dev-old')),
      'InvalidInput',
      /recoveryPointArn = ".*authdb-dev-old"; allowed: an AWS Backup recovery point .*a manual or automated snapshot goes in snapshotIdentifier/,
    ],
    [
      'an automated snapshot as recovery point',
      point(rdsArnOf('rds:authdb-dev-2026-11-25-18-00')),
      'InvalidInput',
      /allowed: an AWS Backup recovery point/,
    ],
    [
      'a cluster snapshot as recovery point',
      point(`arn:aws:rds:${REGION}:${ACCOUNT}:cluster-snapshot:awsbackup:job-1`),
      'InvalidInput',
      /allowed: the ARN of an RDS recovery point/,
    ],
    [
      'a DynamoDB recovery point',
      point(`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t/backup/1`),
      'InvalidInput',
      /not of dynamodb/,
    ],
    [
      'a recovery point ARN with a space',
      point(` ${rdsArnOf('awsbackup:job-1')}`),
      'InvalidInput',
      /allowed: the ARN of an RDS recovery point/,
    ],
    ['an empty recovery point', point(''), 'InvalidInput', /recoveryPointArn = ""/],
    [
      'a recovery point of another instance',
      point(rdsArnOf('awsbackup:job-other')),
      'SnapshotNotFound',
      /is of someone-else; allowed: a snapshot of authdb-dev/,
    ],
    [
      'a snapshot ARN of another account',
      snapshot(rdsArnOf('authdb-dev-old', REGION, '999999999999')),
      'InvalidInput',
      /snapshotIdentifier = ".*" is of account 999999999999/,
    ],
    [
      'a snapshot ARN of another region',
      snapshot(rdsArnOf('authdb-dev-old', 'ap-southeast-1')),
      'InvalidInput',
      /snapshotIdentifier = ".*" is of region ap-southeast-1/,
    ],
    [
      'a snapshot that is not available yet',
      snapshot('authdb-dev-creating'),
      'SnapshotNotFound',
      /authdb-dev-creating is creating; allowed: available/,
    ],
    [
      'a snapshot id with an underscore',
      snapshot('snap_1'),
      'InvalidInput',
      /snapshotIdentifier = "snap_1"; allowed: an RDS snapshot identifier/,
    ],
    [
      'a snapshot id starting with a digit',
      snapshot('1snap'),
      'InvalidInput',
      /snapshotIdentifier = "1snap"; allowed: an RDS snapshot identifier/,
    ],
    [
      'an empty snapshot id',
      snapshot(''),
      'InvalidInput',
      /snapshotIdentifier = ""; allowed: an RDS snapshot identifier/,
    ],
    [
      'a cutover to a point 3 hours old without acknowledgement',
      { ...valid, restoreTime: minutesAgo(180), cutover: confirm },
      'DataLossNotAcknowledged',
      /cutover.acceptDataLossHours = missing; allowed: at least 3(\.1)? \(the recovery point \S+ is 3(\.1)? hours old, more than the 1 hours dev cuts over to without acknowledgement/,
    ],
    [
      'a cutover to a point 3 hours old acknowledging 2 hours',
      { ...valid, restoreTime: minutesAgo(180), cutover: { ...confirm, acceptDataLossHours: 2 } },
      'DataLossNotAcknowledged',
      /cutover.acceptDataLossHours = 2; allowed: at least 3/,
    ],
    [
      'a cutover to a 180-day-old snapshot without acknowledgement',
      { ...snapshot('authdb-dev-old'), cutover: confirm },
      'DataLossNotAcknowledged',
      /allowed: at least 4320(\.1)? \(the recovery point \S+ is 4320(\.1)? hours old/,
    ],
    [
      'a cutover to a 10-day-old recovery point without acknowledgement',
      { ...point(rdsArnOf('awsbackup:job-old')), cutover: confirm },
      'DataLossNotAcknowledged',
      /allowed: at least 240(\.1)? /,
    ],
    [
      'a negative data-loss acknowledgement',
      { ...valid, cutover: { ...confirm, acceptDataLossHours: -1 } },
      'InvalidInput',
      /cutover.acceptDataLossHours = -1; allowed: a positive number of hours/,
    ],
    [
      'a data-loss acknowledgement in words',
      { ...valid, cutover: { ...confirm, acceptDataLossHours: 'all' } },
      'InvalidInput',
      /cutover.acceptDataLossHours = "all"/,
    ],
    [
      'a data-loss acknowledgement beyond a year',
      { ...valid, cutover: { ...confirm, acceptDataLossHours: 10_000 } },
      'InvalidInput',
      /cutover.acceptDataLossHours = 10000; allowed: at most 8784 hours/,
    ],
    ['a 10,000-character target id', { ...valid, targetInstanceId: long }, 'InvalidInput', capped('targetInstanceId')],
    ['a 10,000-character time', { ...valid, restoreTime: long }, 'InvalidInput', capped('restoreTime')],
    ['a 10,000-character source id', { ...valid, sourceInstanceId: long }, 'InvalidInput', capped('sourceInstanceId')],
    ['a 10,000-character instance class', { ...valid, instanceClass: long }, 'InvalidInput', capped('instanceClass')],
    ['a 10,000-character snapshot id', snapshot(long), 'InvalidInput', capped('snapshotIdentifier')],
    [
      'a 10,000-character field name',
      { ...valid, [long]: 1 },
      'InvalidInput',
      /^Invalid restore input: x{80}…: unknown field\(s\); allowed: only the documented fields$/,
    ],
    [
      'a source ending with a hyphen',
      { ...valid, sourceInstanceId: 'authdb-dev-' },
      'InvalidInput',
      /sourceInstanceId = "authdb-dev-"; allowed: lowercase letters/,
    ],
    ['a time given as true', { ...valid, restoreTime: true }, 'InvalidInput', /restoreTime = true/],
    [
      'a recovery point with a trailing newline',
      point(`${rdsArnOf('awsbackup:job-1')}\n`),
      'InvalidInput',
      /allowed: the ARN of an RDS recovery point/,
    ],
    [
      'a missing source',
      { restoreTime: 'latest', targetInstanceId: TARGET },
      'InvalidInput',
      /sourceInstanceId = missing/,
    ],
    ['a numeric source', { ...valid, sourceInstanceId: 42 }, 'InvalidInput', /sourceInstanceId = 42/],
    [
      'an upper-case source',
      { ...valid, sourceInstanceId: 'AUTHDB-DEV' },
      'InvalidInput',
      /sourceInstanceId = "AUTHDB-DEV"; allowed: lowercase letters/,
    ],
    [
      'a drill scratch instance as source',
      {
        ...valid,
        sourceInstanceId: 'drill-202611260455-1a2b3c4d',
        targetInstanceId: 'drill-202611260455-1a2b3c4d-restored-1',
      },
      'InvalidInput',
      /sourceInstanceId = "drill-202611260455-1a2b3c4d"; allowed: authdb-dev/,
    ],
    [
      'a time as epoch milliseconds',
      { ...valid, restoreTime: 1_764_130_000_000 },
      'InvalidInput',
      /restoreTime = 1764130000000/,
    ],
    [
      'a date without time',
      { ...valid, restoreTime: '2026-11-26' },
      'InvalidInput',
      /restoreTime = "2026-11-26"; allowed: an ISO-8601 time with a zone/,
    ],
    [
      'a time with month 13',
      { ...valid, restoreTime: '2026-13-01T00:00:00Z' },
      'InvalidInput',
      /restoreTime = "2026-13-01T00:00:00Z"/,
    ],
    ['an empty time', { ...valid, restoreTime: '' }, 'InvalidInput', /restoreTime = ""; allowed: an ISO-8601 time/],
    ['"LATEST" in capitals', { ...valid, restoreTime: 'LATEST' }, 'InvalidInput', /restoreTime = "LATEST"/],
    [
      'a time in the year 9999',
      { ...valid, restoreTime: '9999-01-01T00:00:00Z' },
      'RecoveryPointOutsideWindow',
      /restoreTime = "9999-01-01T00:00:00.000Z" is outside the restorable window/,
    ],
    [
      'a target id ending with a hyphen',
      { ...valid, targetInstanceId: 'authdb-dev-restored-' },
      'InvalidInput',
      /targetInstanceId = "authdb-dev-restored-"; allowed: lowercase letters/,
    ],
    [
      'a target id starting with a digit',
      { ...valid, targetInstanceId: '1authdb-dev-restored' },
      'InvalidInput',
      /targetInstanceId = "1authdb-dev-restored"; allowed: lowercase letters/,
    ],
    [
      'an empty target id',
      { ...valid, targetInstanceId: '' },
      'InvalidInput',
      /targetInstanceId = ""; allowed: lowercase letters/,
    ],
    [
      'a target id with a space',
      { ...valid, targetInstanceId: 'authdb-dev-restored 1' },
      'InvalidInput',
      /targetInstanceId = "authdb-dev-restored 1"/,
    ],
    [
      'a target id with capitals',
      { ...valid, targetInstanceId: 'authdb-dev-Restored-1' },
      'InvalidInput',
      /targetInstanceId = "authdb-dev-Restored-1"/,
    ],
    [
      'a target named like the pre-restore source',
      { ...valid, targetInstanceId: 'authdb-dev-pre-restore-202611260540' },
      'InvalidInput',
      /allowed: a new identifier starting with authdb-dev-restored/,
    ],
    [
      'an instance class without db.',
      { ...valid, instanceClass: 'r6g.large' },
      'InvalidInput',
      /instanceClass = "r6g.large"; allowed: an RDS instance class/,
    ],
    [
      'an empty instance class',
      { ...valid, instanceClass: '' },
      'InvalidInput',
      /instanceClass = ""; allowed: an RDS instance class/,
    ],
    [
      'an instance class of another family',
      { ...valid, instanceClass: 'db.m5.large' },
      'InvalidInput',
      /instanceClass = "db.m5.large"; allowed: db.t4g.medium, db.r6g.large, db.r6g.xlarge/,
    ],
    [
      'all three recovery points',
      { ...valid, snapshotIdentifier: 'x', recoveryPointArn: rdsArnOf('awsbackup:job-1') },
      'InvalidInput',
      /allowed: exactly one of restoreTime, snapshotIdentifier or recoveryPointArn/,
    ],
    [
      'a time and a recovery point',
      { ...valid, recoveryPointArn: rdsArnOf('awsbackup:job-1') },
      'InvalidInput',
      /recoveryPointArn = .*allowed: exactly one of restoreTime/,
    ],
    ['a cutover given as true', { ...valid, cutover: true }, 'InvalidInput', /cutover = true/],
    [
      'a cutover without confirmation',
      { ...valid, cutover: {} },
      'InvalidInput',
      /cutover.confirmSourceInstanceId = missing/,
    ],
    [
      'a cutover with an unknown field',
      { ...valid, cutover: { ...confirm, force: true } },
      'InvalidInput',
      /cutover.force: unknown field/,
    ],
    [
      'a cutover confirmed in capitals',
      { ...valid, cutover: { confirmSourceInstanceId: 'AUTHDB-DEV' } },
      'InvalidInput',
      /cutover.confirmSourceInstanceId = "AUTHDB-DEV"; allowed: exactly the source instance id \(authdb-dev\)/,
    ],
  ];
}

describe('two-person rule: a confirmed cutover waits for another principal (issue 8, finding 7)', () => {
  // Dev with the approval prod and staging have (dev itself turns it off), so the names stay those of this file.
  let approvalDefinition: StateMachineDefinition;
  let sts: StsStandin;
  let stsEndpoint: string;
  const { ALICE, BOB } = twoOperators(ACCOUNT);
  const TIMEOUT_MINUTES = 30;

  beforeAll(async () => {
    const { recovery } = environmentStacks('dev', (c) => ({
      ...c,
      cutover: { ...c.cutover, requireApproval: true, approvalTimeoutMinutes: TIMEOUT_MINUTES },
    }));
    approvalDefinition = definitionFrom(Template.fromStack(recovery), 'RestoreStateMachine');
    sts = new StsStandin([ALICE, BOB], stsHost(REGION));
    stsEndpoint = await sts.start();
  });
  afterAll(() => sts?.stop());

  const identity = () => ({ stsHost: stsHost(REGION), account: ACCOUNT, stsEndpoint });
  const approvalConfig = () => ({
    environment: 'dev',
    topicArn: 'arn:aws:sns:x:1:alerts',
    timeoutMinutes: 30,
    identity: identity(),
    stateMachines: { restore: STATE_MACHINE_ARN },
  });
  const approvalDeps = () => ({
    sns: new SNSClient({}),
    sfn: new SFNClient({ region: REGION }),
    fetch,
    now: () => new Date(),
  });
  const executionArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${MACHINE}:${name}`;
  const proof = (who: StsIdentity, kind: 'start' | 'approve', name: string) =>
    createIdentityProof(who, REGION, proofPurpose(kind, executionArn(name)), new Date());

  /**
   * Runs a cutover restore started by Alice; each time the machine waits for approval, the next answer stands in for
   * what `authdb-dr restore approve` sends (SendTaskSuccess with a proof) or for Step Functions (a timeout).
   */
  async function runWithApproval(name: string, answers: ((name: string) => Promise<unknown>)[]) {
    const input = {
      ...CUTOVER_INPUT,
      cutover: { ...CUTOVER_INPUT.cutover, identityProof: await proof(ALICE, 'start', name) },
    };
    const requests: unknown[] = [];
    const result = await runRestore(input, {
      name,
      definition: approvalDefinition,
      validate: { approvalRequired: true, identity: identity() },
      handlers: {
        RequestApproval: async (e) => {
          // A waitForTaskToken task gets { FunctionName, Payload }: the function is invoked with the Payload.
          const payload = (e as { Payload: unknown }).Payload;
          requests.push(payload);
          await approval(payload, approvalConfig(), approvalDeps());
          const answer = answers.shift();
          if (!answer) throw new Error('no more answers');
          return answer(name);
        },
        CheckApproval: (e) => approval(e, approvalConfig(), approvalDeps()),
      },
    });
    return { result, requests };
  }
  const renames = () => fake.callsOf('Modify').filter((c) => c.NewDBInstanceIdentifier);
  const messages = () => snsMock.commandCalls(PublishCommand).map((c) => String(c.args[0].input.Message));
  const unreachable = async () => {
    throw new Error('not reached');
  };
  const timedOut = async () => {
    throw Object.assign(new Error('Task timed out'), { name: 'States.Timeout' });
  };

  it('is in the definition as a waitForTaskToken task with the configured timeout (prod and staging; not dev)', () => {
    const request = approvalDefinition.States.RequestApproval as unknown as Record<string, unknown>;
    expect(request).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: TIMEOUT_MINUTES * 60,
      Parameters: { Payload: { action: 'request', 'taskToken.$': '$$.Task.Token', 'plan.$': '$.plan' } },
    });
    expect((approvalDefinition.States['Cutover?'] as unknown as { Choices: { Next: string }[] }).Choices[0]!.Next).toBe(
      'AwaitApproval',
    );
    expect(definition.States.RequestApproval).toBeUndefined();
    for (const env of ['prod', 'staging']) {
      const states = definitionFrom(templateOf(env, 'recovery'), 'RestoreStateMachine').States;
      expect(states.RequestApproval).toMatchObject({ TimeoutSeconds: 3600 });
    }
  });

  it('cuts over once another person approves: the approval is checked with STS, then the renames run', async () => {
    const { result, requests } = await runWithApproval('approve-ok', [
      async (n) => ({ identityProof: await proof(BOB, 'approve', n) }),
    ]);
    expect(result.error, result.cause).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const order = ['RequestApproval', 'CheckApproval', 'RenameSource'].map((st) => result.states.indexOf(st));
    expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]!))).toBe(true);
    expect(renames()).toHaveLength(2);
    // The alert topic is told who started it and how to approve, never the task token.
    expect(requests[0]).toMatchObject({ taskToken: 'local-task-token' });
    const [ask] = messages();
    expect(ask).toContain('Approval needed for restore execution approve-ok in dev');
    expect(ask).toContain(`Started by: ${ALICE.arn}`);
    expect(ask).toContain('npx authdb-dr restore approve --env dev --execution approve-ok');
    expect(messages().join('\n')).not.toContain('local-task-token');
    expect(report().cutover).toMatchObject({
      requested: true,
      approval: { required: true, outcome: 'approved', startedBy: ALICE.arn, approvedBy: BOB.arn },
    });
  });

  it('refuses the starter as approver, asks again, and ends WITHOUT cutover when nobody else approves in time', async () => {
    const { result } = await runWithApproval('self-approve', [
      async (n) => ({ identityProof: await proof(ALICE, 'approve', n) }),
      timedOut,
    ]);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CutoverNotApproved');
    expect(result.cause).toBe(
      `No second person approved the cutover within ${TIMEOUT_MINUTES} minutes: production is unchanged, the restored instance ${TARGET} is kept`,
    );
    expect(result.states.filter((st) => st === 'RequestApproval')).toHaveLength(2);
    expect(result.states.slice(-4)).toEqual(['ApprovalTimedOut', 'Report', 'Outcome', 'RestoreFailed']);
    // Nothing renamed, nothing tagged failed or deleted: the verified instance stays for the operator.
    expect(renames()).toEqual([]);
    expect(fake.callsOf('AddTags')).toEqual([]);
    expect(fake.instances.has(TARGET)).toBe(true);
    expect(messages()[1]).toContain(
      `The previous approval was not accepted: Approval by ${ALICE.arn} refused: the same principal started the restore`,
    );
    const r = report();
    expect(r.cutover.approval).toMatchObject({ outcome: 'timed-out', startedBy: ALICE.arn });
    expect(r.next).toBe(
      `Production is unchanged: ${SOURCE} keeps its name. The verified instance ${TARGET} is kept; point applications at it, or start a new restore with cutover.`,
    );
    expect(String(snsMock.commandCalls(PublishCommand).at(-1)!.args[0].input.Message)).toContain(
      'Cutover: not done: no second person approved it in time',
    );
  });

  it('ends without cutover when the approver rejects it', async () => {
    const { result } = await runWithApproval('rejected', [
      async () => {
        throw Object.assign(new Error('rejected by bob'), { name: 'CutoverRejected' });
      },
    ]);
    expect(result.error).toBe('CutoverRejected');
    expect(renames()).toEqual([]);
    expect(report().cutover.approval).toMatchObject({ outcome: 'rejected' });
  });

  it('refuses an approval proof made for another execution (a proof cannot be replayed)', async () => {
    const { result } = await runWithApproval('replay', [
      async () => ({ identityProof: await proof(BOB, 'approve', 'some-other-execution') }),
      timedOut,
    ]);
    expect(result.error).toBe('CutoverNotApproved');
    expect(renames()).toEqual([]);
    expect(messages()[1]).toMatch(
      /The previous approval was not accepted: Identity proof refused: STS answered 403 SignatureDoesNotMatch/,
    );
  });

  it('refuses a cutover whose input does not prove who starts it, before anything is created', async () => {
    const result = await runRestore(CUTOVER_INPUT, {
      definition: approvalDefinition,
      validate: { approvalRequired: true, identity: identity() },
      handlers: { RequestApproval: unreachable, CheckApproval: unreachable },
    });
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toMatch(
      /cutover.identityProof = missing; allowed: a proof of who starts the cutover \(a second person approves every cutover in dev/,
    );
    expect(result.states).toEqual(['Validate', 'RestoreRejected']);
    expect(fake.mutations()).toEqual([]);
  });
});
