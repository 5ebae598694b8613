import { type DBInstanceAutomatedBackup, RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { backupStatus } from '../../lambda/dr-drill-preflight/backup-status.js';
import { drPreflight } from '../../lambda/dr-drill-preflight/preflight.js';
import { type DrRegionDrillReport, reportDrRegionDrill } from '../../lambda/dr-drill-report/report.js';
import { requestDrRestore } from '../../lambda/dr-drill-restore/restore.js';
import { drVerifier } from '../../lambda/dr-drill-verifier/verifier.js';
import { cleanupScratchInstance } from '../../lambda/drill-cleanup/cleanup.js';
import { instanceStatus } from '../../lambda/instance-status/instance-status.js';
import { describeInstance } from '../../lambda/shared/rds-instances.js';
import { PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE } from '../../lambda/shared/tags.js';
import { loadConfig } from '../../lib/config/load.js';
import { drDrillFixture } from '../support/dr-fixture.js';
import { FakeRds } from '../support/fake-rds.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { ACCOUNT, definitionFrom, type ExecutionResult, runExecution } from '../support/state-machine.js';
import {
  AUTH_DATABASE_SQL,
  copySourceToScratch,
  createVerifiedDatabase,
  expectNoSecrets,
  recordedMetrics,
  writtenReport,
} from '../support/verified-database.js';

const config = loadConfig('dev');
const PRIMARY = 'authdb-dev';
const STANDBY = 'authdb-dev-standby';
const MACHINE = 'authdb-dr-dev-dr-region-drill';
const BACKUPS_ARN = `arn:aws:rds:${config.drRegion}:${ACCOUNT}:auto-backup:ab-primaryreplicated0001`;

let pgServer: PostgresServer;
let definition: StateMachineDefinition;
const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
let fake: FakeRds;
let metrics: Record<string, number>;
let runs = 0;

beforeAll(async () => {
  definition = definitionFrom(drDrillFixture('dev').template(), 'DrRegionDrillStateMachine');
  pgServer = await startPostgres();
  await createVerifiedDatabase(pgServer, 'source', AUTH_DATABASE_SQL, {
    role: config.drill.verifierRole,
    tables: config.drill.tables,
  });
}, 120_000);

afterAll(async () => {
  await pgServer?.stop();
  fake?.restore();
  sfnMock.restore();
  s3Mock.restore();
  snsMock.restore();
});

/** The replicated backups, their restore window ending `lagMs` before each look (replication keeps up), or at `fixed`. */
function replicated(opts: { lagMs?: number; fixed?: Date } = {}): DBInstanceAutomatedBackup[] {
  const latest = opts.fixed ?? new Date(Date.now() - (opts.lagMs ?? 0));
  return [
    {
      DBInstanceIdentifier: PRIMARY,
      DBInstanceAutomatedBackupsArn: BACKUPS_ARN,
      Status: 'replicating',
      RestoreWindow: { EarliestTime: new Date(Date.now() - 7 * 86_400_000), LatestTime: latest },
    },
  ];
}

beforeEach(async () => {
  fake?.restore();
  fake = new FakeRds();
  // The primary as the primary region describes it (the fake answers both regions' clients), and the standby.
  fake.addSource(PRIMARY);
  fake.addInstance(STANDBY, {});
  Object.defineProperty(fake, 'automatedBackups', { get: () => replicated(), configurable: true });
  metrics = {};
  sfnMock.reset();
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  await copySourceToScratch(pgServer);
});

afterEach(() => {
  // Whatever happened, the drill changed nothing but its own scratch instance: never the primary, never the standby.
  const touched = fake.mutations().map((m) => m.split(':')[1]);
  expect(touched.every((id) => id?.startsWith('drill-'))).toBe(true);
});

interface Scenario {
  input?: unknown;
  /** The primary region's answer to DescribeDBInstances (default: the fake's primary instance). */
  describePrimary?: (id: string) => Promise<unknown>;
  primaryCheckTimeoutMs?: number;
  /** Connections to the primary fail (it answered the API but its database cannot be reached). */
  primaryConnectionFails?: boolean;
  statusClock?: () => Date;
  backupClock?: () => Date;
  /** Called when a state's handler runs, with the state's name (to abort an execution mid-way). */
  onState?: (name: string) => void;
}

type Run = ExecutionResult & { scratchId: string; connectedTo: string[] };

function handlersFor(scenario: Scenario, connectedTo: string[]) {
  const rds = new RDSClient({ region: config.drRegion });
  const now = () => new Date();
  const drill = config.drill;
  const verifierConfig = { tables: drill.tables, settleSeconds: drill.settleMinutes * 60, concurrency: 2 };
  const connectTo = (endpoint: { host: string }) => {
    connectedTo.push(endpoint.host);
    const primary = endpoint.host.startsWith(PRIMARY);
    if (primary && scenario.primaryConnectionFails) return () => Promise.reject(new Error('timeout expired'));
    return pgServer.connectionFactory(primary ? 'source' : 'scratch', drill.verifierRole);
  };
  const primaryRds = new RDSClient({ region: config.primaryRegion });
  const preflightDeps = {
    rds,
    sfn: new SFNClient({}),
    describePrimary: (scenario.describePrimary ?? ((id: string) => describeInstance(primaryRds, id))) as (
      id: string,
    ) => ReturnType<typeof describeInstance>,
    now,
  };
  const preflightConfig = {
    environment: 'dev',
    region: config.drRegion,
    primaryRegion: config.primaryRegion,
    primaryInstanceId: PRIMARY,
    primaryCheckTimeoutMs: scenario.primaryCheckTimeoutMs ?? 5000,
  };
  const seen = (name: string, fn: (e: unknown) => Promise<unknown>) => (e: unknown) => {
    scenario.onState?.(name);
    return fn(e);
  };
  return {
    Preflight: seen('Preflight', (e) => drPreflight(e, preflightConfig, preflightDeps)),
    CountPrimary: seen('CountPrimary', (e) => drVerifier(e, verifierConfig, { connectTo, now })),
    CheckBackupsRestorable: seen('CheckBackupsRestorable', (e) =>
      backupStatus(e, { rds, now: scenario.backupClock ?? now }),
    ),
    RequestRestore: seen('RequestRestore', (e) =>
      requestDrRestore(
        e,
        {
          instanceClass: drill.instanceClass,
          subnetGroupName: 'dr-drill-subnets',
          securityGroupId: 'sg-0drdrill',
          parameterGroupName: 'dr-drill-params',
        },
        { rds, now },
      ),
    ),
    CheckScratch: seen('CheckScratch', (e) => instanceStatus(e, { rds, now: scenario.statusClock ?? now })),
    Verify: seen('Verify', (e) => drVerifier(e, verifierConfig, { connectTo, now })),
    Cleanup: seen('Cleanup', (e) => cleanupScratchInstance(e, { rds, now })),
    Report: seen('Report', (e) =>
      reportDrRegionDrill(
        e,
        {
          environment: 'dev',
          bucket: 'dr-reports',
          topicArn: `arn:aws:sns:${config.drRegion}:${ACCOUNT}:alerts`,
          rtoTargetSeconds: 900,
          rpoTargetSeconds: 300,
        },
        {
          s3: new S3Client({}),
          sns: new SNSClient({}),
          metrics: recordedMetrics(() => metrics),
          now,
        },
      ),
    ),
  };
}

function onlyThisExecutionRunning(name: string) {
  const executionArn = `arn:aws:states:ap-northeast-2:${ACCOUNT}:execution:${MACHINE}:${name}`;
  sfnMock
    .on(ListExecutionsCommand)
    .resolves({ executions: [{ executionArn, name, status: 'RUNNING', stateMachineArn: '', startDate: new Date() }] });
}

async function runDrill(scenario: Scenario = {}): Promise<Run> {
  const name = `dr-drill-test-${++runs}-${Date.now()}`;
  onlyThisExecutionRunning(name);
  const connectedTo: string[] = [];
  const result = await runExecution(definition, scenario.input ?? {}, {
    executionName: name,
    startTime: new Date().toISOString(),
    stateMachineName: MACHINE,
    handlers: handlersFor(scenario, connectedTo),
  });
  const planned = result.visits.find((v) => v.name === 'Preflight')?.output as { plan?: { scratchInstanceId: string } };
  return { ...result, scratchId: planned?.plan?.scratchInstanceId ?? 'none', connectedTo };
}

const report = () => writtenReport<DrRegionDrillReport>(s3Mock);

const deletedOnly = (id: string) => [`RestoreToPointInTime:${id}`, `Delete:${id}`];

describe('DR-region drill workflow (synthesized definition, real handlers, mocked AWS, real PostgreSQL)', () => {
  it('primary reachable: counts it at C, restores the replicated backups to C, compares exactly, reports, deletes', async () => {
    const result = await runDrill();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.slice(0, 4)).toEqual([
      'Preflight',
      'PrimaryReachable?',
      'CountPrimary',
      'CheckBackupsRestorable',
    ]);
    expect(result.states.slice(-6)).toEqual(['Verify', 'Verified?', 'Cleanup', 'Report', 'Outcome', 'DrillSucceeded']);

    const counted = result.visits.find((v) => v.name === 'CountPrimary')!.output as {
      sourceCounts: { countedAt: string };
    };
    const [restore] = fake.callsOf('RestoreToPointInTime');
    expect(restore).toMatchObject({
      SourceDBInstanceAutomatedBackupsArn: BACKUPS_ARN,
      TargetDBInstanceIdentifier: result.scratchId,
      RestoreTime: new Date(counted.sourceCounts.countedAt),
      DBInstanceClass: config.drill.instanceClass,
      DBSubnetGroupName: 'dr-drill-subnets',
      VpcSecurityGroupIds: ['sg-0drdrill'],
      DBParameterGroupName: 'dr-drill-params',
      MultiAZ: false,
      PubliclyAccessible: false,
      DeletionProtection: false,
      BackupRetentionPeriod: 0,
    });
    expect(restore).not.toHaveProperty('SourceDBInstanceIdentifier');
    expect(restore!.Tags).toEqual(
      expect.arrayContaining([
        { Key: TAG_PURPOSE, Value: PURPOSE_DRILL },
        { Key: TAG_EXECUTION, Value: result.executionArn },
      ]),
    );
    expect(result.scratchId).toMatch(/^drill-\d{12}-[0-9a-f]{8}$/);
    expect(fake.mutations()).toEqual(deletedOnly(result.scratchId));

    const r = report();
    expect(r).toMatchObject({
      kind: 'dr-region-drill',
      outcome: 'succeeded',
      region: config.drRegion,
      automatedBackupsArn: BACKUPS_ARN,
      primary: { reachable: true, region: config.primaryRegion },
      comparison: { kind: 'exact' },
      restoreTime: counted.sourceCounts.countedAt,
      cleanup: { action: 'deleted', instanceId: result.scratchId },
    });
    expect(r.verification?.compared).toBe(true);
    expect(r.mismatchedTables).toEqual([]);
    expect(metrics).toMatchObject({ DrillSucceeded: 1, DrillFailed: 0, PrimaryUnreachable: 0 });
    expect(metrics.RtoSeconds).toBeGreaterThanOrEqual(0);
    const sent = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(sent.Subject).toMatch(/DR-region drill \(ap-northeast-1\) succeeded/);
    expect(sent.Message).toContain('Compared exactly with authdb-dev');
    expectNoSecrets(result);
  });

  it('waits until the replicated backups reach C (cross-region log shipping lags)', async () => {
    Object.defineProperty(fake, 'automatedBackups', {
      // Two minutes behind at preflight and on the first look at C, caught up on the second.
      get: () => replicated({ lagMs: fake.callsOf('DescribeAutomatedBackups').length <= 2 ? 120_000 : 0 }),
      configurable: true,
    });
    const result = await runDrill();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.filter((s) => s === 'CheckBackupsRestorable')).toHaveLength(2);
    expect(result.states).toContain('WaitForReplicatedLogs');
  });

  it('primary region unreachable: reports totals of the latest restorable time and says why', async () => {
    const result = await runDrill({ describePrimary: () => new Promise(() => {}), primaryCheckTimeoutMs: 50 });
    expect(result.status, `${result.error}: ${result.cause}`).toBe('SUCCEEDED');
    expect(result.states.slice(0, 4)).toEqual(['Preflight', 'PrimaryReachable?', 'TotalsOnly', 'RequestRestore']);
    expect(result.states).not.toContain('CountPrimary');
    // Nothing connects to the primary: only the scratch instance is counted.
    expect(result.connectedTo.every((h) => h.startsWith(result.scratchId))).toBe(true);
    const [restore] = fake.callsOf('RestoreToPointInTime');
    expect(restore).toMatchObject({ SourceDBInstanceAutomatedBackupsArn: BACKUPS_ARN, UseLatestRestorableTime: true });
    expect(restore).not.toHaveProperty('RestoreTime');
    expect(fake.mutations()).toEqual(deletedOnly(result.scratchId));

    const r = report();
    expect(r.outcome).toBe('succeeded');
    expect(r.primary).toMatchObject({ reachable: false, region: config.primaryRegion });
    expect(r.comparison).toEqual({
      kind: 'totals-only',
      reason: `Primary region unreachable: DescribeDBInstances of ${PRIMARY} in ${config.primaryRegion} did not answer within 0.05 s`,
    });
    expect(r.verification).toMatchObject({ compared: false, ok: true });
    expect(Object.keys((r.verification as { report: { tables: object } }).report.tables).sort()).toEqual([
      'audit_logs',
      'platform_accounts',
      'users',
    ]);
    expect(metrics).toMatchObject({ DrillSucceeded: 1, PrimaryUnreachable: 1 });
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain(
      'Totals only, not compared: Primary region unreachable',
    );
  });

  it('primary not available: totals only, the report names its status', async () => {
    const result = await runDrill({
      describePrimary: async () => ({ DBInstanceIdentifier: PRIMARY, DBInstanceStatus: 'storage-full' }),
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(report().comparison).toEqual({
      kind: 'totals-only',
      reason: `Primary instance ${PRIMARY} is storage-full, not available`,
    });
  });

  it('primary answers but cannot be counted from the DR VPC: totals only, the report names the error', async () => {
    const result = await runDrill({ primaryConnectionFails: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.slice(0, 5)).toEqual([
      'Preflight',
      'PrimaryReachable?',
      'CountPrimary',
      'TotalsOnly',
      'RequestRestore',
    ]);
    expect(fake.callsOf('RestoreToPointInTime')[0]).toMatchObject({ UseLatestRestorableTime: true });
    const r = report();
    expect(r.comparison.kind).toBe('totals-only');
    expect(r.comparison.reason).toMatch(
      /^The primary answered in ap-northeast-2 but could not be counted: .*timeout expired/,
    );
    expect(fake.mutations()).toEqual(deletedOnly(result.scratchId));
  });

  it('fails at preflight, creating nothing, when there are no replicated backups in the DR region', async () => {
    Object.defineProperty(fake, 'automatedBackups', { get: () => [], configurable: true });
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SourceNotAvailable');
    expect(result.cause).toMatch(
      /No restorable replicated automated backups of authdb-dev in this region \(found: none\)/,
    );
    expect(result.states).toEqual(['Preflight', 'PreflightFailed']);
    expect(fake.mutations()).toEqual([]);
  });

  it('fails at the first state on input it does not take', async () => {
    const result = await runDrill({ input: { mode: 'snapshot' } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('mode: unknown field(s)');
    expect(fake.mutations()).toEqual([]);
  });

  it('API error: cleans up and fails with the error when the restore request is refused', async () => {
    fake.restoreError = Object.assign(new Error('The automated backups are not restorable to that time'), {
      name: 'PointInTimeRestoreNotEnabledFault',
    });
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PointInTimeRestoreNotEnabledFault');
    expect(result.states.slice(-6)).toEqual([
      'RequestRestore',
      'RecordFailure',
      'Cleanup',
      'Report',
      'Outcome',
      'DrillFailed',
    ]);
    expect(report()).toMatchObject({
      outcome: 'failed',
      cleanup: { action: 'not-found', instanceId: result.scratchId },
    });
    expect(metrics.DrillFailed).toBe(1);
  });

  it('fails through cleanup when the replicated backups never reach C', async () => {
    Object.defineProperty(fake, 'automatedBackups', {
      get: () => replicated({ fixed: new Date(Date.now() - 3_600_000) }),
      configurable: true,
    });
    let looks = 0;
    const result = await runDrill({ backupClock: () => new Date(Date.now() + ++looks * 10 * 60_000) });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SourceNotRestorable');
    expect(result.cause).toMatch(/replicated backups of authdb-dev did not reach .* within 30 minutes/);
    expect(result.states).not.toContain('RequestRestore');
    expect(fake.mutations()).toEqual([]);
    expect(report().outcome).toBe('failed');
  });

  it('restore never available: gives up after the maximum wait and deletes the scratch instance', async () => {
    fake.restoredStatuses = ['creating'];
    let looks = 0;
    const result = await runDrill({ statusClock: () => new Date(Date.now() + ++looks * 10 * 60_000) });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreTimedOut');
    expect(result.cause).toMatch(new RegExp(`${result.scratchId} still creating after 90 minutes`));
    expect(fake.mutations()).toEqual(deletedOnly(result.scratchId));
  });

  it('restore ends in a terminal status: deletes the scratch instance and fails', async () => {
    fake.restoredStatuses = ['creating', 'incompatible-restore'];
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreFailed');
    expect(result.states).not.toContain('Verify');
    expect(fake.mutations()).toEqual(deletedOnly(result.scratchId));
  });

  it('verification failure: names the table, reports, deletes the scratch instance and fails', async () => {
    await pgServer.psql('DELETE FROM users WHERE id = 100', 'scratch');
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('VerificationMismatch');
    expect(result.cause).toMatch(/users: \d+ rows at or before .* in the source, \d+ restored \(tolerance 0\)/);
    expect(fake.mutations()).toEqual(deletedOnly(result.scratchId));
    expect(report().mismatchedTables).toEqual(['users']);
  });

  it('verification failure without the primary: a table missing in the restore fails the drill', async () => {
    await pgServer.psql('DROP TABLE audit_logs', 'scratch');
    const result = await runDrill({ describePrimary: async () => undefined });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('VerificationMismatch');
    expect(result.cause).toBe('Tables missing in the restore: audit_logs');
    expect(fake.mutations()).toEqual(deletedOnly(result.scratchId));
    expect(report().comparison.reason).toBe(`Primary instance ${PRIMARY} does not exist in ${config.primaryRegion}`);
  });

  it('refuses to start while another drill scratch instance exists in the DR region', async () => {
    fake.addInstance('drill-202611250100-0badcafe', { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_EXECUTION]: 'arn:x' });
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DrillAlreadyRunning');
    expect(fake.mutations()).toEqual([]);
  });

  it('timeout or abort: the EventBridge cleanup deletes the scratch instance the aborted execution left', async () => {
    const name = `dr-drill-aborted-${Date.now()}`;
    onlyThisExecutionRunning(name);
    const startTime = new Date().toISOString();
    const machine = new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: false } });
    let execution: ReturnType<StateMachine['run']> | undefined;
    // Aborted (as a timeout would end it) while it waits for the scratch instance: no Catch runs.
    const handlers = handlersFor({ onState: (state) => state === 'CheckScratch' && execution?.abort() }, []);
    let planned: { startedAt: string } | undefined;
    const preflight = handlers.Preflight;
    handlers.Preflight = async (e: unknown) => {
      planned = (await preflight(e)) as { startedAt: string };
      return planned;
    };
    execution = machine.run(
      {},
      {
        overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: { WaitForScratch: 0 } },
        context: {
          Execution: {
            Id: `arn:aws:states:ap-northeast-2:${ACCOUNT}:execution:${MACHINE}:${name}`,
            Name: name,
            StartTime: startTime,
          },
          StateMachine: { Id: `arn:aws:states:ap-northeast-2:${ACCOUNT}:stateMachine:${MACHINE}`, Name: MACHINE },
        },
      },
    );
    await expect(execution.result).rejects.toThrow(/abort/i);
    const [restore] = fake.callsOf('RestoreToPointInTime');
    const scratchId = String(restore!.TargetDBInstanceIdentifier);
    expect(fake.mutations()).toEqual([`RestoreToPointInTime:${scratchId}`]);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);

    // What the CleanupAfterAbnormalEnd rule sends for the ABORTED (or TIMED_OUT) execution.
    const event = {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: {
        executionArn: `arn:aws:states:ap-northeast-2:${ACCOUNT}:execution:${MACHINE}:${name}`,
        name,
        status: 'ABORTED',
        // The interpreter stamps the start itself: EventBridge sends the execution's real start.
        startDate: Date.parse(planned!.startedAt),
      },
    };
    const result = await cleanupScratchInstance(event, { rds: new RDSClient({}), now: () => new Date() });
    expect(result).toMatchObject({ instanceId: scratchId, action: 'deleted' });
    expect(fake.mutations()).toEqual(deletedOnly(scratchId));
  });
});
