import { RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanupScratchInstance } from '../../lambda/drill-cleanup/cleanup.js';
import { preflight } from '../../lambda/drill-preflight/preflight.js';
import { type DrillReport, reportDrill } from '../../lambda/drill-report/report.js';
import { requestDrillRestore } from '../../lambda/drill-restore/restore.js';
import { verifier } from '../../lambda/drill-verifier/verifier.js';
import { instanceStatus } from '../../lambda/instance-status/instance-status.js';
import { scratchInstanceId } from '../../lambda/shared/drill.js';
import { PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT } from '../../lambda/shared/tags.js';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { FakeRds } from '../support/fake-rds.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { ACCOUNT, definitionFrom, type ExecutionResult, REGION, runExecution } from '../support/state-machine.js';
import {
  AUTH_DATABASE_SQL,
  copySourceToScratch,
  createVerifiedDatabase,
  expectNoSecrets,
  recordedMetrics,
  writtenReport,
} from '../support/verified-database.js';

const config = loadConfig('dev');
const SOURCE = 'authdb-dev';
const MACHINE = 'authdb-dr-dev-drill';

let pgServer: PostgresServer;
let definition: StateMachineDefinition;
const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
let fake: FakeRds;
let metrics: Record<string, number>;
let runs = 0;

beforeAll(async () => {
  definition = definitionFrom(templateOf('dev', 'recovery'), 'DrillStateMachine');
  pgServer = await startPostgres();
  await createVerifiedDatabase(pgServer, 'source', AUTH_DATABASE_SQL, {
    role: config.drill.verifierRole,
    tables: config.drill.tables,
  });
});

afterAll(async () => {
  await pgServer?.stop();
  sfnMock.restore();
  s3Mock.restore();
  snsMock.restore();
});

beforeEach(async () => {
  fake?.restore();
  fake = new FakeRds();
  fake.addSource(SOURCE, [240_000, 240_000, 0]);
  metrics = {};
  sfnMock.reset();
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  await copySourceToScratch(pgServer);
});

interface Scenario {
  input?: unknown;
  /** The clock of the scratch instance's status checks (to simulate a long wait). */
  statusClock?: () => Date;
}

async function runDrill(scenario: Scenario = {}): Promise<ExecutionResult & { scratchId: string; name: string }> {
  const name = `drill-test-${++runs}-${Date.now()}`;
  const startTime = new Date().toISOString();
  const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${MACHINE}:${name}`;
  sfnMock
    .on(ListExecutionsCommand)
    .resolves({ executions: [{ executionArn, name, status: 'RUNNING', stateMachineArn: '', startDate: new Date() }] });
  const rds = new RDSClient({ region: REGION });
  const now = () => new Date();
  const drill = config.drill;
  const verifierConfig = { tables: drill.tables, settleSeconds: drill.settleMinutes * 60, concurrency: 2 };
  const connectTo = (endpoint: { host: string }) =>
    pgServer.connectionFactory(endpoint.host.startsWith(SOURCE) ? 'source' : 'scratch', config.drill.verifierRole);
  const handlers = {
    Preflight: (e: unknown) =>
      preflight(e, { environment: 'dev', sourceInstanceId: SOURCE }, { rds, sfn: new SFNClient({}), now }),
    CountSource: (e: unknown) => verifier(e, verifierConfig, { connectTo, now }),
    CheckSourceRestorable: (e: unknown) => instanceStatus(e, { rds, now }),
    RequestRestore: (e: unknown) =>
      requestDrillRestore(
        e,
        {
          instanceClass: drill.instanceClass,
          subnetGroupName: 'drill-subnets',
          securityGroupId: 'sg-0drill',
          parameterGroupName: 'authdb-params',
        },
        { rds, now },
      ),
    CheckScratch: (e: unknown) => instanceStatus(e, { rds, now: scenario.statusClock ?? now }),
    Verify: (e: unknown) => verifier(e, verifierConfig, { connectTo, now }),
    Cleanup: (e: unknown) => cleanupScratchInstance(e, { rds, now }),
    Report: (e: unknown) =>
      reportDrill(
        e,
        {
          environment: 'dev',
          bucket: 'reports',
          topicArn: 'arn:aws:sns:x:1:alerts',
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
  };
  const result = await runExecution(definition, scenario.input ?? {}, {
    executionName: name,
    startTime,
    stateMachineName: MACHINE,
    handlers,
  });
  // The interpreter stamps $$.Execution.StartTime itself: take the id the plan derived from it.
  const planned = result.visits.find((v) => v.name === 'Preflight')?.output as { plan?: { scratchInstanceId: string } };
  return { ...result, scratchId: planned?.plan?.scratchInstanceId ?? scratchInstanceId(startTime, name), name };
}

const report = () => writtenReport<DrillReport>(s3Mock);

const PITR_PATH = ['Preflight', 'Mode?', 'CountSource', 'CheckSourceRestorable', 'SourceRestorable?'];

describe('DR drill workflow (synthesized definition, real handlers, mocked AWS, real PostgreSQL)', () => {
  it('restores the source to the instant it was counted, verifies, reports and deletes the scratch instance', async () => {
    const result = await runDrill();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states.slice(0, 5)).toEqual(PITR_PATH);
    expect(result.states).toContain('WaitForSourceLogs'); // LatestRestorableTime caught up with C on the second look
    expect(result.states.slice(-6)).toEqual(['Verify', 'Verified?', 'Cleanup', 'Report', 'Outcome', 'DrillSucceeded']);

    // Restored to C exactly, into the scratch instance with the drill's settings and tags.
    const counted = result.visits.find((v) => v.name === 'CountSource')!.output as {
      sourceCounts: { countedAt: string };
    };
    const [restore] = fake.callsOf('RestoreToPointInTime');
    expect(restore).toMatchObject({
      SourceDBInstanceIdentifier: SOURCE,
      TargetDBInstanceIdentifier: result.scratchId,
      RestoreTime: new Date(counted.sourceCounts.countedAt),
      DBInstanceClass: 'db.t4g.medium',
      MultiAZ: false,
      PubliclyAccessible: false,
      DeletionProtection: false,
      BackupRetentionPeriod: 0,
      VpcSecurityGroupIds: ['sg-0drill'],
      DBSubnetGroupName: 'drill-subnets',
    });
    expect(restore!.Tags).toEqual(
      expect.arrayContaining([
        { Key: TAG_PURPOSE, Value: PURPOSE_DRILL },
        { Key: TAG_EXECUTION, Value: result.executionArn },
      ]),
    );
    expect(result.scratchId).toMatch(/^drill-\d{12}-[0-9a-f]{8}$/);
    expect(fake.mutations()).toEqual([`RestoreToPointInTime:${result.scratchId}`, `Delete:${result.scratchId}`]);
    expect(fake.callsOf('Delete')[0]).toMatchObject({ SkipFinalSnapshot: true, DeleteAutomatedBackups: true });

    const r = report();
    expect(r.outcome).toBe('succeeded');
    expect(r.mismatchedTables).toEqual([]);
    expect(r.rpo.lagSeconds).toBe(240);
    expect(r.rto.totalSeconds).toBeGreaterThanOrEqual(0);
    expect(r.verification?.compared).toBe(true);
    expect(r.cleanup?.action).toBe('deleted');
    expect(metrics).toMatchObject({ DrillSucceeded: 1, DrillFailed: 0, RpoLagSeconds: 240, MismatchedTables: 0 });
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toMatch(/DR drill succeeded/);
    expectNoSecrets(result);
  });

  it('cleans up and fails with the API error when the restore request is refused', async () => {
    fake.restoreError = Object.assign(new Error('No capacity for db.t4g.medium'), {
      name: 'InsufficientDBInstanceCapacityFault',
    });
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InsufficientDBInstanceCapacityFault');
    expect(result.states.slice(-6)).toEqual([
      'RequestRestore',
      'RecordFailure',
      'Cleanup',
      'Report',
      'Outcome',
      'DrillFailed',
    ]);
    expect(fake.mutations()).toEqual([`RestoreToPointInTime:${result.scratchId}`]);
    expect(report()).toMatchObject({
      outcome: 'failed',
      cleanup: { action: 'not-found', instanceId: result.scratchId },
    });
    expect(metrics.DrillFailed).toBe(1);
    expectNoSecrets(result);
  });

  it('deletes the scratch instance and fails when it ends incompatible-restore', async () => {
    fake.restoredStatuses = ['creating', 'incompatible-restore'];
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreFailed');
    expect(result.cause).toBe(`Scratch instance ${result.scratchId} ended in status incompatible-restore`);
    expect(result.states).toContain('ScratchFailed');
    expect(result.states).not.toContain('Verify');
    expect(fake.mutations()).toEqual([`RestoreToPointInTime:${result.scratchId}`, `Delete:${result.scratchId}`]);
    expectNoSecrets(result);
  });

  it('gives up after the maximum wait, deletes the scratch instance and fails', async () => {
    fake.restoredStatuses = ['creating'];
    let looks = 0;
    const result = await runDrill({ statusClock: () => new Date(Date.now() + ++looks * 10 * 60_000) });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('RestoreTimedOut');
    expect(result.cause).toMatch(new RegExp(`${result.scratchId} still creating after 90 minutes`));
    expect(looks).toBe(9); // 10-minute steps: the ninth look is 90 minutes and a few milliseconds after the request
    expect(fake.mutations()).toEqual([`RestoreToPointInTime:${result.scratchId}`, `Delete:${result.scratchId}`]);
  });

  it('fails with the tables and counts when restored rows do not match, after cleanup and a report', async () => {
    await pgServer.psql(`DELETE FROM users WHERE id = 100`, 'scratch');
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('VerificationMismatch');
    expect(result.cause).toMatch(/users: \d+ rows at or before .* in the source, \d+ restored \(tolerance 0\)/);
    expect(result.states.slice(-7)).toEqual([
      'Verify',
      'Verified?',
      'VerificationMismatch',
      'Cleanup',
      'Report',
      'Outcome',
      'DrillFailed',
    ]);
    expect(fake.mutations()).toEqual([`RestoreToPointInTime:${result.scratchId}`, `Delete:${result.scratchId}`]);
    const r = report();
    expect(r.mismatchedTables).toEqual(['users']);
    expect(metrics.MismatchedTables).toBe(1);
  });

  it('refuses to start while another drill runs, creating and deleting nothing', async () => {
    const otherArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${MACHINE}:first`;
    fake.addInstance('drill-202611250100-0badcafe', { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_EXECUTION]: otherArn });
    const result = await runDrill();
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DrillAlreadyRunning');
    expect(result.cause).toContain('drill-202611250100-0badcafe');
    expect(result.states).toEqual(['Preflight', 'PreflightFailed']);
    expect(fake.mutations()).toEqual([]);
    expect(fake.instances.get('drill-202611250100-0badcafe')!.statuses).toEqual(['available']);
  });

  it('refuses to start while another execution of the drill is running', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: 'arn:aws:states:x:1:execution:m:first',
          name: 'first',
          status: 'RUNNING',
          stateMachineArn: '',
          startDate: new Date(),
        },
      ],
    });
    const name = 'second';
    const result = await runExecution(
      definition,
      {},
      {
        executionName: name,
        startTime: new Date().toISOString(),
        stateMachineName: MACHINE,
        handlers: {
          ...Object.fromEntries(Object.keys(definition.States).map((s) => [s, async () => ({})])),
          Preflight: (e: unknown) =>
            preflight(
              e,
              { environment: 'dev', sourceInstanceId: SOURCE },
              { rds: new RDSClient({}), sfn: new SFNClient({}), now: () => new Date() },
            ),
        },
      },
    );
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('DrillAlreadyRunning');
    expect(result.cause).toContain('Another drill is running (first)');
    expect(fake.mutations()).toEqual([]);
  });

  it('fails at the first state on invalid input, before anything exists', async () => {
    const result = await runDrill({ input: { mode: 'snapshot', colour: 'blue' } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('colour: unknown field(s)');
    expect(result.cause).toContain('snapshotIdentifier = missing; allowed: required when mode is snapshot');
    expect(result.states).toEqual(['Preflight', 'PreflightFailed']);
    expect(fake.mutations()).toEqual([]);
  });

  it('retries a throttled cleanup and then succeeds', async () => {
    fake.deleteErrors = [Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })];
    const result = await runDrill();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.retries).toEqual(['Cleanup']);
    expect(fake.mutations()).toEqual([
      `RestoreToPointInTime:${result.scratchId}`,
      `Delete:${result.scratchId}`,
      `Delete:${result.scratchId}`,
    ]);
    expect(report().cleanup?.action).toBe('deleted');
  });
});

describe('end-of-execution cleanup (EventBridge rule on FAILED, TIMED_OUT, ABORTED executions)', () => {
  it("deletes a timed-out execution's scratch instance and leaves another drill's instance alone", async () => {
    const start = new Date('2026-11-25T01:00:00.000Z');
    const timedOut = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${MACHINE}:timed-out`;
    const mine = scratchInstanceId(start, 'timed-out');
    const other = scratchInstanceId(start, 'still-running');
    fake.addInstance(mine, {
      [TAG_PURPOSE]: PURPOSE_DRILL,
      [TAG_EXECUTION]: timedOut,
      [TAG_REQUESTED_AT]: start.toISOString(),
    });
    fake.addInstance(other, { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_EXECUTION]: `${timedOut}-other` });
    const event = {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: {
        executionArn: timedOut,
        name: 'timed-out',
        status: 'TIMED_OUT',
        startDate: start.getTime(),
        stateMachineArn: 'x',
      },
    };
    const result = await cleanupScratchInstance(event, { rds: new RDSClient({}), now: () => new Date() });
    expect(result).toMatchObject({ instanceId: mine, action: 'deleted' });
    expect(fake.mutations()).toEqual([`Delete:${mine}`]);
    // Run again (the rule and the state machine may both clean up): nothing more happens.
    await cleanupScratchInstance(event, { rds: new RDSClient({}), now: () => new Date() });
    expect(fake.mutations()).toEqual([`Delete:${mine}`]);
  });

  it('refuses to delete an instance tagged for another execution', async () => {
    const start = new Date('2026-11-25T02:00:00.000Z');
    const id = scratchInstanceId(start, 'x');
    fake.addInstance(id, {
      [TAG_PURPOSE]: PURPOSE_DRILL,
      [TAG_EXECUTION]: 'arn:aws:states:x:1:execution:m:someone-else',
    });
    await expect(
      cleanupScratchInstance(
        { plan: { scratchInstanceId: id, executionArn: 'arn:aws:states:x:1:execution:m:x' } },
        { rds: new RDSClient({}), now: () => new Date() },
      ),
    ).rejects.toMatchObject({ name: 'ScratchInstanceNotOwned' });
    expect(fake.mutations()).toEqual([]);
  });
});
