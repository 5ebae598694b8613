import { BackupClient, ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import {
  DBInstanceNotFoundFault,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ControlConfig, control } from '../../lambda/failover-control/control.js';
import { reportFailover } from '../../lambda/failover-report/report.js';
import { verifyWriter } from '../../lambda/failover-verify/verify.js';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { definitionFrom, type ExecutionResult, runExecution } from '../support/state-machine.js';
import { createVerifiedDatabase, writtenReport } from '../support/verified-database.js';

const config = loadConfig('prod');
const DR = config.drRegion;
const STANDBY = 'authdb-prod-standby';
const MACHINE = 'authdb-dr-prod-failover';
const BACKUPS_ARN = `arn:aws:rds:${DR}:111111111111:auto-backup:ab-standbyreplicatedbackups`;
const POINT_OLD = `arn:aws:rds:${DR}:111111111111:snapshot:awsbackup:job-old`;
const POINT_NEW = `arn:aws:rds:${DR}:111111111111:snapshot:awsbackup:job-new`;

const rdsMock = mockClient(RDSClient);
const backupMock = mockClient(BackupClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
let pgServer: PostgresServer;
let definition: StateMachineDefinition;
let runs = 0;
/** Describe answers for the writer, in order, the last one repeating; undefined = not found. */
let writer: ({ status: string; replica: boolean } | undefined)[];

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const SCHEMA = (newest: string) => `
  CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
  INSERT INTO users (created_at) SELECT '${newest}'::timestamptz - i * interval '1 minute' FROM generate_series(0, 29) i;
  INSERT INTO platform_accounts (created_at) SELECT '${newest}'::timestamptz FROM generate_series(1, 20) i;
  INSERT INTO audit_logs (created_at) SELECT '${newest}'::timestamptz FROM generate_series(1, 50) i;`;

async function database(name: string, sql: string): Promise<void> {
  await pgServer.psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  // What the primary's bootstrap installed and the standby and backups carry: the verifier's counting functions.
  await createVerifiedDatabase(pgServer, name, sql, { role: config.drill.verifierRole, tables: config.drill.tables });
}

beforeAll(async () => {
  definition = definitionFrom(templateOf('prod', 'drRecovery'), 'FailoverStateMachine');
  pgServer = await startPostgres();
}, 120_000);

afterAll(async () => {
  await pgServer?.stop();
  rdsMock.restore();
  backupMock.restore();
  s3Mock.restore();
  snsMock.restore();
});

let writerDb = 'writer';

beforeEach(async () => {
  rdsMock.reset();
  backupMock.reset();
  s3Mock.reset();
  snsMock.reset();
  writerDb = 'writer';
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  writer = [{ status: 'available', replica: true }];
  rdsMock.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    if (input.DBInstanceIdentifier !== STANDBY && !input.DBInstanceIdentifier.startsWith('authdb-prod-dr-')) {
      throw new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} });
    }
    const d = writer.length > 1 ? writer.shift() : writer[0];
    if (d === undefined) throw new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} });
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: input.DBInstanceIdentifier,
          DBInstanceArn: `arn:aws:rds:${DR}:111111111111:db:${input.DBInstanceIdentifier}`,
          DBInstanceStatus: d.status,
          DBInstanceClass: 'db.r6g.large',
          Endpoint: { Address: `${input.DBInstanceIdentifier}.xyz.${DR}.rds.amazonaws.com`, Port: 5432 },
          ...(d.replica
            ? { ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:elsewhere:111111111111:db:authdb-prod' }
            : {}),
        },
      ],
    };
  });
  rdsMock.on(PromoteReadReplicaCommand).callsFake(() => {
    writer = [
      { status: 'modifying', replica: true },
      { status: 'available', replica: false },
    ];
    return {};
  });
  await database('writer', SCHEMA(minutesAgo(1)));
});

async function runFailover(input: unknown, overrides: Partial<ControlConfig> = {}): Promise<ExecutionResult> {
  const now = () => new Date();
  const controlConfig: ControlConfig = {
    environment: 'prod',
    primaryInstanceId: 'authdb-prod',
    standbyInstanceId: STANDBY,
    subnetGroup: 'dr-subnets',
    parameterGroup: 'dr-params',
    securityGroupId: 'sg-0123456789abcdef0',
    drVaultName: 'authdb-dr-prod-dr',
    instanceClasses: config.drSite.failover.instanceClasses,
    backupRetentionDays: 35,
    promoteTimeoutSeconds: 1800,
    restoreTimeoutSeconds: 5400,
    ...overrides,
  };
  const deps = { rds: new RDSClient({ region: DR }), backup: new BackupClient({ region: DR }), now };
  const ctl = (e: unknown) => control(e, controlConfig, deps);
  const verify = (e: unknown) =>
    verifyWriter(
      e,
      { tables: config.drill.tables, concurrency: 2, maxDataAgeSeconds: 420 },
      { connectTo: () => pgServer.connectionFactory(writerDb, config.drill.verifierRole), now },
    );
  const report = (e: unknown) =>
    reportFailover(
      e,
      {
        environment: 'prod',
        region: DR,
        bucket: 'dr-reports',
        topicArn: `arn:aws:sns:${DR}:111111111111:dr-alerts`,
        rtoTargetSeconds: 900,
        rpoTargetSeconds: 300,
        databaseName: 'authdb',
      },
      {
        s3: new S3Client({}),
        sns: new SNSClient({}),
        metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
        now,
      },
    );
  return runExecution(definition, input, {
    executionName: `failover-test-${++runs}`,
    startTime: new Date().toISOString(),
    stateMachineName: MACHINE,
    handlers: {
      Plan: ctl,
      LastReplayedCommit: verify,
      Start: ctl,
      WriterStatus: ctl,
      Verify: verify,
      Report: report,
      ReportFailure: report,
    },
  });
}

function savedReport(): Record<string, any> {
  return writtenReport(s3Mock, /^failovers\/prod\/\d{4}\/\d{2}\/failover-test-\d+\.json$/);
}

const changes = () => [
  ...rdsMock.commandCalls(PromoteReadReplicaCommand),
  ...rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand),
  ...rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand),
];

describe('failover workflow: input validated before anything changes', () => {
  it.each([
    [
      { mode: 'promote', confirmSourceInstanceId: 'authdb-staging' },
      'confirmSourceInstanceId = "authdb-staging"; allowed: "authdb-prod"',
    ],
    [{ mode: 'promote' }, 'confirmSourceInstanceId = missing'],
    [{ mode: 'switch', confirmSourceInstanceId: 'authdb-prod' }, 'mode = "switch"; allowed: "promote" (the standby)'],
    [
      { mode: 'promote', confirmSourceInstanceId: 'authdb-prod', restoreTime: 'latest' },
      'restoreTime = "latest"; allowed: only with mode pitr',
    ],
    [
      { mode: 'pitr', confirmSourceInstanceId: 'authdb-prod', instanceClass: 'db.x2g.16xlarge' },
      'instanceClass = "db.x2g.16xlarge"; allowed: one of db.t4g.medium',
    ],
    [
      { mode: 'pitr', confirmSourceInstanceId: 'authdb-prod', targetInstanceId: 'authdb-prod' },
      'targetInstanceId = "authdb-prod"; allowed: an id starting with "authdb-prod-dr-"',
    ],
    [
      { mode: 'pitr', confirmSourceInstanceId: 'authdb-prod', failureTime: '2999-01-01T00:00:00Z' },
      'failureTime = "2999-01-01T00:00:00Z"; allowed: a time not in the future',
    ],
  ])('refuses %j', async (input, message) => {
    const result = await runFailover(input);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain(message);
    expect(changes()).toHaveLength(0);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('refuses to promote a standby that is not available, naming the other modes', async () => {
    writer = [{ status: 'storage-full', replica: true }];
    const result = await runFailover({ mode: 'promote', confirmSourceInstanceId: 'authdb-prod' });
    expect(result.error).toBe('SourceNotAvailable');
    expect(result.cause).toContain('is storage-full, not available; use mode "pitr" or "recovery-point"');
    expect(changes()).toHaveLength(0);
  });

  it('a dry run plans and changes nothing', async () => {
    const result = await runFailover({ mode: 'promote', confirmSourceInstanceId: 'authdb-prod', dryRun: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ mode: 'promote', writerInstanceId: STANDBY, dryRun: true });
    expect(changes()).toHaveLength(0);
  });
});

describe('failover workflow: promote the standby', () => {
  it('promotes only the standby, waits until it is a writer, verifies it and names the new endpoint', async () => {
    const result = await runFailover({ mode: 'promote', confirmSourceInstanceId: 'authdb-prod' });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: STANDBY, BackupRetentionPeriod: 35 },
    ]);
    expect(result.states).toContain('LastReplayedCommit');
    const report = savedReport();
    expect(report).toMatchObject({
      outcome: 'succeeded',
      mode: 'promote',
      writer: { instanceId: STANDBY, endpoint: `${STANDBY}.xyz.${DR}.rds.amazonaws.com`, port: 5432 },
      verification: { ok: true },
    });
    expect(report.applicationChanges.join('\n')).toContain(`Database host: ${STANDBY}.xyz.${DR}.rds.amazonaws.com`);
    expect(report.rto.phases.untilAvailable).toBeGreaterThanOrEqual(0);
    expect(result.output).toMatchObject({ writer: { instanceId: STANDBY } });
  });

  it('fails through the report when the promoted standby never becomes a writer (timeout)', async () => {
    rdsMock.on(PromoteReadReplicaCommand).callsFake(() => {
      writer = [{ status: 'modifying', replica: true }];
      return {};
    });
    const result = await runFailover(
      { mode: 'promote', confirmSourceInstanceId: 'authdb-prod' },
      { promoteTimeoutSeconds: 0 },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('WriterTimedOut');
    expect(savedReport()).toMatchObject({ outcome: 'failed', error: { Error: 'WriterTimedOut', Cause: 'modifying' } });
  });

  it('fails through the report when the promoted instance fails', async () => {
    rdsMock.on(PromoteReadReplicaCommand).callsFake(() => {
      writer = [{ status: 'failed', replica: false }];
      return {};
    });
    const result = await runFailover({ mode: 'promote', confirmSourceInstanceId: 'authdb-prod' });
    expect(result.error).toBe('WriterFailed');
    expect(savedReport()).toMatchObject({ outcome: 'failed' });
  });

  it('reports an RDS API error of the promotion and fails with it', async () => {
    rdsMock
      .on(PromoteReadReplicaCommand)
      .rejects(Object.assign(new Error('replica is busy'), { name: 'InvalidDBInstanceStateFault' }));
    const result = await runFailover({ mode: 'promote', confirmSourceInstanceId: 'authdb-prod' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidDBInstanceStateFault');
    expect(savedReport()).toMatchObject({ outcome: 'failed', error: { Error: 'InvalidDBInstanceStateFault' } });
  });

  it('fails verification when a configured table is missing in the new writer', async () => {
    writerDb = 'broken';
    await database(
      'broken',
      'CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL); INSERT INTO users (created_at) VALUES (now());',
    );
    const result = await runFailover({ mode: 'promote', confirmSourceInstanceId: 'authdb-prod' });
    expect(result.error).toBe('VerificationFailed');
    expect(result.cause).toContain('tables missing: platform_accounts, audit_logs');
    expect(savedReport()).toMatchObject({ outcome: 'failed', verification: { ok: false } });
  });
});

describe('failover workflow: restores in the DR region', () => {
  const window = { EarliestTime: new Date(Date.now() - 86_400_000), LatestTime: new Date(Date.now() - 60_000) };
  beforeEach(() => {
    writer = [undefined, { status: 'creating', replica: false }, { status: 'available', replica: false }];
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        { DBInstanceIdentifier: 'authdb-prod', DBInstanceAutomatedBackupsArn: BACKUPS_ARN, RestoreWindow: window },
      ],
    });
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    rdsMock.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
    backupMock.on(ListRecoveryPointsByBackupVaultCommand).resolves({
      RecoveryPoints: [
        { RecoveryPointArn: POINT_OLD, Status: 'COMPLETED', CreationDate: new Date(Date.now() - 2 * 86_400_000) },
        { RecoveryPointArn: POINT_NEW, Status: 'COMPLETED', CreationDate: new Date(Date.now() - 120_000) },
        { RecoveryPointArn: `${POINT_NEW}-partial`, Status: 'PARTIAL', CreationDate: new Date() },
      ],
    });
  });

  it('pitr: restores the replicated automated backups to the latest time into a tagged authdb-prod-dr-* instance', async () => {
    const result = await runFailover({ mode: 'pitr', confirmSourceInstanceId: 'authdb-prod', restoreTime: 'latest' });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    const restore = rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input;
    expect(restore).toMatchObject({
      SourceDBInstanceAutomatedBackupsArn: BACKUPS_ARN,
      UseLatestRestorableTime: true,
      DBSubnetGroupName: 'dr-subnets',
      DBParameterGroupName: 'dr-params',
      VpcSecurityGroupIds: ['sg-0123456789abcdef0'],
      EnableIAMDatabaseAuthentication: true,
      DeletionProtection: true,
    });
    expect(restore.TargetDBInstanceIdentifier).toMatch(/^authdb-prod-dr-\d{12}$/);
    expect(restore.Tags).toContainEqual({ Key: 'authdb-dr:purpose', Value: 'dr-failover' });
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
    expect(savedReport()).toMatchObject({ outcome: 'succeeded', mode: 'pitr', rpo: { targetSeconds: 300 } });
  });

  it('pitr: refuses a time outside the replicated restore window', async () => {
    const result = await runFailover({
      mode: 'pitr',
      confirmSourceInstanceId: 'authdb-prod',
      restoreTime: '2020-01-01T00:00:00Z',
    });
    expect(result.error).toBe('RecoveryPointOutsideWindow');
    expect(result.cause).toContain('restoreTime = "2020-01-01T00:00:00Z"; allowed: "latest" or a time from');
    expect(changes()).toHaveLength(0);
  });

  it('pitr: a restore that never becomes available times out through the report', async () => {
    writer = [undefined, { status: 'creating', replica: false }];
    const result = await runFailover(
      { mode: 'pitr', confirmSourceInstanceId: 'authdb-prod' },
      { restoreTimeoutSeconds: 0 },
    );
    expect(result.error).toBe('WriterTimedOut');
    expect(savedReport()).toMatchObject({ outcome: 'failed' });
  });

  it('recovery-point: restores the newest completed recovery point of the DR vault', async () => {
    const result = await runFailover({
      mode: 'recovery-point',
      confirmSourceInstanceId: 'authdb-prod',
      targetInstanceId: 'authdb-prod-dr-a',
    });
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]!.args[0].input).toMatchObject({
      DBSnapshotIdentifier: POINT_NEW,
      DBInstanceIdentifier: 'authdb-prod-dr-a',
    });
    expect(savedReport()).toMatchObject({ outcome: 'succeeded', mode: 'recovery-point' });
  });

  it('recovery-point: refuses a recovery point that is not a completed one of the DR vault', async () => {
    const result = await runFailover({
      mode: 'recovery-point',
      confirmSourceInstanceId: 'authdb-prod',
      recoveryPointArn: `${POINT_NEW}-partial`,
    });
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('allowed: a completed RDS recovery point of the vault authdb-dr-prod-dr');
    expect(changes()).toHaveLength(0);
  });

  it('recovery-point: fails verification when the newest row is far older than the recovery point', async () => {
    writerDb = 'stale';
    await database('stale', SCHEMA(minutesAgo(240)));
    const result = await runFailover({ mode: 'recovery-point', confirmSourceInstanceId: 'authdb-prod' });
    expect(result.error).toBe('VerificationFailed');
    expect(result.cause).toMatch(/newest row .* s before the recovery point .*\(allowed: 420 s\)/);
  });
});
