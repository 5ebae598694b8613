import { RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifier } from '../../lambda/drill-verifier/verifier.js';
import { instanceStatus } from '../../lambda/instance-status/instance-status.js';
import { cutover } from '../../lambda/restore-cutover/cutover.js';
import { finishRestore } from '../../lambda/restore-finish/finish.js';
import { type RestoreReport, reportRestore } from '../../lambda/restore-report/report.js';
import { startRestore } from '../../lambda/restore-start/start.js';
import { validateRestore } from '../../lambda/restore-validate/validate.js';
import { ensureVerifierRole } from '../../lambda/shared/readonly-role.js';
import { PURPOSE_RESTORED, TAG_EXECUTION, TAG_PURPOSE, TAG_STATUS } from '../../lambda/shared/tags.js';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { FakeRds } from '../support/fake-rds.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { ACCOUNT, definitionFrom, type ExecutionResult, REGION, runExecution } from '../support/state-machine.js';

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
let fake: FakeRds;
let runs = 0;

beforeAll(async () => {
  definition = definitionFrom(templateOf('dev', 'recovery'), 'RestoreStateMachine');
  pgServer = await startPostgres();
  await pgServer.createDatabase('source');
  await pgServer.psql(SCHEMA, 'source');
  // What the bootstrap does on the production database (restores copy it): the verifier role and its functions.
  const admin = await pgServer.client('source');
  await ensureVerifierRole(admin, {
    role: config.drill.verifierRole,
    database: 'source',
    schemas: [],
    iamAuth: false,
    tables: config.drill.tables,
  }).finally(() => admin.end());
});

afterAll(async () => {
  await pgServer?.stop();
  fake?.restore();
  s3Mock.restore();
  snsMock.restore();
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

async function runRestore(input: unknown): Promise<ExecutionResult> {
  const name = `restore-test-${++runs}`;
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
    Validate: (e: unknown) =>
      validateRestore(
        e,
        { environment: 'dev', sourceInstanceId: SOURCE, allowedInstanceClasses: config.restore.allowedInstanceClasses },
        { rds },
      ),
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
    RenameSource: (e: unknown) => cutover(e, { rds, now }),
    CheckSourceRenamed: status,
    RenameTarget: (e: unknown) => cutover(e, { rds, now }),
    CheckTargetRenamed: status,
    RollBackSourceName: (e: unknown) => cutover(e, { rds, now }),
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
  };
  return runExecution(definition, input, {
    executionName: name,
    startTime: '2026-11-26T05:40:00.000Z',
    stateMachineName: MACHINE,
    handlers,
  });
}

function report(): RestoreReport {
  const put = s3Mock.commandCalls(PutObjectCommand);
  expect(put).toHaveLength(1);
  return JSON.parse(String(put[0]!.args[0].input.Body)) as RestoreReport;
}

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
    expect(result.error).toBeUndefined();
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
  ];

  it.each(cases)('rejects %s', async (_, input, error, cause) => {
    fake.addInstance('authdb-dev-restored-0', {});
    fake.snapshots = [
      {
        DBSnapshotIdentifier: 'other-snap',
        DBInstanceIdentifier: 'someone-else',
        Status: 'available',
        SnapshotCreateTime: new Date(),
      },
    ];
    const result = await runRestore(input);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(error);
    expect(result.cause).toMatch(cause);
    expect(result.states).toEqual(['Validate', 'RestoreRejected']);
    expect(fake.mutations()).toEqual([]);
  });
});
