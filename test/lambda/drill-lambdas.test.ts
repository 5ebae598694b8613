import {
  type DBInstance,
  DBInstanceNotFoundFault,
  type DBSnapshot,
  DBSnapshotNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanupScratchInstance } from '../../lambda/drill-cleanup/cleanup.js';
import { preflight } from '../../lambda/drill-preflight/preflight.js';
import { buildReport, type ReportConfig, reportDrill, summarize } from '../../lambda/drill-report/report.js';
import { requestDrillRestore } from '../../lambda/drill-restore/restore.js';
import { sweep } from '../../lambda/drill-sweeper/sweeper.js';
import { verifier } from '../../lambda/drill-verifier/verifier.js';
import { instanceStatus } from '../../lambda/instance-status/instance-status.js';
import { type DrillPlan, type DrillState, scratchInstanceId, stateMachineArnOf } from '../../lambda/shared/drill.js';
import { TERMINAL_FAILURE_STATES } from '../../lambda/shared/rds-instances.js';
import {
  PURPOSE_DRILL,
  TAG_EXECUTION,
  TAG_PURPOSE,
  TAG_REQUESTED_AT,
  TAG_RESTORED_FROM,
} from '../../lambda/shared/tags.js';

const rdsMock = mockClient(RDSClient);
const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);

const SOURCE = 'authdb-dev';
const MACHINE_ARN = 'arn:aws:states:ap-northeast-2:111111111111:stateMachine:authdb-dr-dev-drill';
const EXECUTION_NAME = 'weekly-2026-11-25';
const EXECUTION_ARN = `arn:aws:states:ap-northeast-2:111111111111:execution:authdb-dr-dev-drill:${EXECUTION_NAME}`;
const STARTED_AT = '2026-11-25T01:00:00.000Z';
/** scratchInstanceId(STARTED_AT, EXECUTION_NAME): the start minute in UTC and sha256(EXECUTION_NAME)[0..8]. */
const SCRATCH = 'drill-202611250100-10e20335';
/** The fixed clock of every test: two minutes after the execution started. */
const NOW = new Date('2026-11-25T01:02:00.000Z');
const now = () => NOW;
const RDS_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$/;

const rds = new RDSClient({ region: 'ap-northeast-2' });
const sfn = new SFNClient({ region: 'ap-northeast-2' });

beforeEach(() => {
  rdsMock.reset();
  sfnMock.reset();
  s3Mock.reset();
  snsMock.reset();
});

function tags(values: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(values).map(([Key, Value]) => ({ Key, Value }));
}

/** DescribeDBInstances over `instances`: by identifier (or DBInstanceNotFoundFault), or all of them (listing). */
function givenInstances(...instances: DBInstance[]): void {
  rdsMock.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    if (input.DBInstanceIdentifier === undefined) return { DBInstances: instances };
    const found = instances.find((i) => i.DBInstanceIdentifier === input.DBInstanceIdentifier);
    if (!found) {
      throw new DBInstanceNotFoundFault({
        message: `DBInstance ${input.DBInstanceIdentifier} not found.`,
        $metadata: {},
      });
    }
    return { DBInstances: [found] };
  });
}

function sourceInstance(extra: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: SOURCE,
    DBInstanceStatus: 'available',
    Endpoint: { Address: 'authdb-dev.abcdefghijkl.ap-northeast-2.rds.amazonaws.com', Port: 5432 },
    LatestRestorableTime: new Date('2026-11-25T00:57:30.000Z'),
    ...extra,
  };
}

function scratchInstance(id: string, tagValues: Record<string, string>, extra: Partial<DBInstance> = {}): DBInstance {
  return { DBInstanceIdentifier: id, DBInstanceStatus: 'available', TagList: tags(tagValues), ...extra };
}

const ourTags = { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_EXECUTION]: EXECUTION_ARN };

function error(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe('scratchInstanceId', () => {
  it('derives drill-<UTC start minute>-<8 hex of the name>, the same every time', () => {
    expect(scratchInstanceId(STARTED_AT, EXECUTION_NAME)).toBe(SCRATCH);
    expect(scratchInstanceId(new Date(STARTED_AT), EXECUTION_NAME)).toBe(SCRATCH);
    // Seconds do not matter, the zone is normalised to UTC.
    expect(scratchInstanceId('2026-11-25T10:00:59.999+09:00', EXECUTION_NAME)).toBe(SCRATCH);
  });

  it('differs for different execution names started in the same minute', () => {
    const ids = ['a', 'b', 'weekly-2026-11-25-retry', EXECUTION_NAME].map((n) => scratchInstanceId(STARTED_AT, n));
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^drill-202611250100-[0-9a-f]{8}$/);
  });

  it('is a valid RDS identifier of at most 63 characters, whatever the execution name', () => {
    for (const name of ['x', 'A'.repeat(80), 'Wöchentlich_Übung-1', '9-starts-with-digit']) {
      const id = scratchInstanceId('2099-12-31T23:59:00Z', name);
      expect(id.length).toBeLessThanOrEqual(63);
      expect(id).toMatch(RDS_IDENTIFIER);
      expect(id).toMatch(/^drill-209912312359-[0-9a-f]{8}$/);
    }
  });

  it('refuses a start time that is not a time', () => {
    expect(() => scratchInstanceId('yesterday', 'x')).toThrow('Invalid execution start time: yesterday');
  });
});

describe('stateMachineArnOf', () => {
  it("turns an execution ARN into its state machine's ARN", () => {
    expect(stateMachineArnOf(EXECUTION_ARN)).toBe(MACHINE_ARN);
    expect(stateMachineArnOf('arn:aws-cn:states:cn-north-1:111111111111:execution:m:e')).toBe(
      'arn:aws-cn:states:cn-north-1:111111111111:stateMachine:m',
    );
  });

  it('refuses anything but an execution ARN', () => {
    expect(() => stateMachineArnOf(MACHINE_ARN)).toThrow(`Not an execution ARN: ${MACHINE_ARN}`);
    expect(() => stateMachineArnOf('arn:aws:states:x:1:execution:m')).toThrow(
      'Not an execution ARN: arn:aws:states:x:1:execution:m',
    );
  });
});

describe('preflight', () => {
  const config = { environment: 'dev', sourceInstanceId: SOURCE };
  const deps = () => ({ rds, sfn, now });
  const event = (input: unknown = {}) => ({
    input,
    execution: { Id: EXECUTION_ARN, Name: EXECUTION_NAME, StartTime: STARTED_AT },
  });

  beforeEach(() => {
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXECUTION_ARN,
          name: EXECUTION_NAME,
          status: 'RUNNING',
          stateMachineArn: MACHINE_ARN,
          startDate: new Date(STARTED_AT),
        },
      ],
    });
  });

  describe('drill input', () => {
    async function invalid(input: unknown): Promise<Error> {
      givenInstances(sourceInstance());
      const failure = await preflight(event(input), config, deps()).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(failure?.name).toBe('InvalidInput');
      // Refused before looking at anything.
      expect(rdsMock.calls()).toHaveLength(0);
      expect(sfnMock.calls()).toHaveLength(0);
      return failure!;
    }

    it('plans a point-in-time drill from {} (what the schedule sends)', async () => {
      givenInstances(sourceInstance());
      const plan = await preflight(event({}), config, deps());
      expect(plan).toEqual({
        environment: 'dev',
        mode: 'point-in-time',
        sourceInstanceId: SOURCE,
        source: { host: 'authdb-dev.abcdefghijkl.ap-northeast-2.rds.amazonaws.com', port: 5432 },
        scratchInstanceId: SCRATCH,
        executionArn: EXECUTION_ARN,
        executionName: EXECUTION_NAME,
        startedAt: STARTED_AT,
        rpo: { latestRestorableTime: '2026-11-25T00:57:30.000Z', lagSeconds: 270, measuredAt: NOW.toISOString() },
      } satisfies DrillPlan);
      expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(0);
      expect(sfnMock.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toEqual({
        stateMachineArn: MACHINE_ARN,
        statusFilter: 'RUNNING',
        maxResults: 100,
      });
    });

    it('requires the field of each mode that names what to restore', async () => {
      expect((await invalid({ mode: 'snapshot' })).message).toBe(
        'Invalid drill input: snapshotIdentifier = missing; allowed: required when mode is snapshot',
      );
      expect((await invalid({ mode: 'recovery-point' })).message).toBe(
        'Invalid drill input: recoveryPointArn = missing; allowed: required when mode is recovery-point',
      );
    });

    it('refuses a field given with another mode', async () => {
      expect((await invalid({ snapshotIdentifier: 'rds:authdb-dev-2026-11-24-18-05' })).message).toBe(
        'Invalid drill input: snapshotIdentifier = "rds:authdb-dev-2026-11-24-18-05"; allowed: only with mode snapshot',
      );
      const arn = 'arn:aws:rds:ap-northeast-2:111111111111:snapshot:awsbackup:job-0123';
      expect((await invalid({ mode: 'latest-snapshot', recoveryPointArn: arn })).message).toBe(
        `Invalid drill input: recoveryPointArn = "${arn}"; allowed: only with mode recovery-point`,
      );
    });

    it('refuses a malformed recovery point ARN, saying what one looks like', async () => {
      const arn = 'arn:aws:backup:ap-northeast-2:111111111111:recovery-point:continuous:db-abc';
      expect((await invalid({ mode: 'recovery-point', recoveryPointArn: arn })).message).toBe(
        `Invalid drill input: recoveryPointArn = "${arn}"; allowed: the ARN of an RDS recovery point ` +
          '(arn:aws:rds:REGION:ACCOUNT:snapshot:awsbackup:job-...)',
      );
    });

    it('refuses an unknown mode, listing the modes', async () => {
      expect((await invalid({ mode: 'full' })).message).toBe(
        'Invalid drill input: mode = "full"; allowed: point-in-time, latest-snapshot, snapshot or recovery-point',
      );
    });

    it('refuses an unknown field', async () => {
      expect((await invalid({ mode: 'point-in-time', target: 'authdb-dev' })).message).toBe(
        'Invalid drill input: target: unknown field(s); allowed: only the documented fields',
      );
    });
  });

  describe('source', () => {
    it('fails with SourceNotAvailable when the source does not exist', async () => {
      givenInstances();
      await expect(preflight(event(), config, deps())).rejects.toMatchObject({
        name: 'SourceNotAvailable',
        message: 'Source instance authdb-dev does not exist',
      });
    });

    it('fails with SourceNotAvailable and the status when the source is not available', async () => {
      givenInstances(sourceInstance({ DBInstanceStatus: 'modifying' }));
      await expect(preflight(event(), config, deps())).rejects.toMatchObject({
        name: 'SourceNotAvailable',
        message: 'Source instance authdb-dev is modifying; allowed: available',
      });
    });

    it('fails when the source has no LatestRestorableTime (no automated backups)', async () => {
      givenInstances(sourceInstance({ LatestRestorableTime: undefined }));
      await expect(preflight(event(), config, deps())).rejects.toMatchObject({
        name: 'SourceNotAvailable',
        message: 'Source instance authdb-dev has no LatestRestorableTime: are automated backups enabled?',
      });
    });

    it('measures the RPO lag as now minus LatestRestorableTime, never negative', async () => {
      givenInstances(sourceInstance({ LatestRestorableTime: new Date('2026-11-25T00:55:59.600Z') }));
      expect((await preflight(event(), config, deps())).rpo).toEqual({
        latestRestorableTime: '2026-11-25T00:55:59.600Z',
        lagSeconds: 360, // 360.4 s, rounded
        measuredAt: '2026-11-25T01:02:00.000Z',
      });
      givenInstances(sourceInstance({ LatestRestorableTime: new Date('2026-11-25T01:02:05.000Z') }));
      expect((await preflight(event(), config, deps())).rpo.lagSeconds).toBe(0);
    });
  });

  describe('another drill', () => {
    it('is blocked by an instance with the drill tag, not by one that only has a drill- name', async () => {
      const untagged = scratchInstance('drill-someones-test-db', { team: 'auth' });
      givenInstances(sourceInstance(), untagged);
      await expect(preflight(event(), config, deps())).resolves.toMatchObject({ scratchInstanceId: SCRATCH });

      const otherExecution = `${EXECUTION_ARN}-earlier`;
      const tagged = scratchInstance('drill-202611180100-0badcafe', {
        [TAG_PURPOSE]: PURPOSE_DRILL,
        [TAG_EXECUTION]: otherExecution,
      });
      givenInstances(sourceInstance(), untagged, tagged);
      await expect(preflight(event(), config, deps())).rejects.toMatchObject({
        name: 'DrillAlreadyRunning',
        message:
          `A drill scratch instance still exists: drill-202611180100-0badcafe (${otherExecution}); ` +
          'allowed: start when it is gone (the sweeper deletes abandoned ones)',
      });
    });

    it('is not blocked by its own scratch instance (a retried preflight)', async () => {
      givenInstances(sourceInstance(), scratchInstance(SCRATCH, ourTags));
      await expect(preflight(event(), config, deps())).resolves.toMatchObject({ scratchInstanceId: SCRATCH });
    });
  });

  describe('snapshots', () => {
    const snapshot = (id: string, created: string, extra: Partial<DBSnapshot> = {}): DBSnapshot => ({
      DBSnapshotIdentifier: id,
      DBSnapshotArn: `arn:aws:rds:ap-northeast-2:111111111111:snapshot:${id}`,
      DBInstanceIdentifier: SOURCE,
      Status: 'available',
      SnapshotCreateTime: new Date(created),
      ...extra,
    });

    it('latest-snapshot restores the newest available snapshot of any type, by its ARN', async () => {
      givenInstances(sourceInstance());
      const byType: Record<string, DBSnapshot[]> = {
        automated: [
          snapshot('rds:authdb-dev-2026-11-23-18-05', '2026-11-23T18:05:00Z'),
          // Newest of all, but not available yet.
          snapshot('rds:authdb-dev-2026-11-25-00-50', '2026-11-25T00:50:00Z', { Status: 'creating' }),
        ],
        manual: [snapshot('before-upgrade', '2026-11-20T09:00:00Z')],
        awsbackup: [
          snapshot('awsbackup:job-0aa', '2026-11-24T18:10:00Z'),
          snapshot('awsbackup:job-0bb', '2026-11-24T03:00:00Z'),
        ],
      };
      rdsMock
        .on(DescribeDBSnapshotsCommand)
        .callsFake((input: { SnapshotType: string }) => ({ DBSnapshots: byType[input.SnapshotType] }));

      const plan = await preflight(event({ mode: 'latest-snapshot' }), config, deps());
      expect(plan.mode).toBe('latest-snapshot');
      expect(plan.snapshot).toEqual({
        identifier: 'arn:aws:rds:ap-northeast-2:111111111111:snapshot:awsbackup:job-0aa',
        createdAt: '2026-11-24T18:10:00.000Z',
      });
      expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input)).toEqual([
        { DBInstanceIdentifier: SOURCE, SnapshotType: 'automated' },
        { DBInstanceIdentifier: SOURCE, SnapshotType: 'manual' },
        { DBInstanceIdentifier: SOURCE, SnapshotType: 'awsbackup' },
      ]);
    });

    it('latest-snapshot fails with SnapshotNotFound when no snapshot is available', async () => {
      givenInstances(sourceInstance());
      rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
      await expect(preflight(event({ mode: 'latest-snapshot' }), config, deps())).rejects.toMatchObject({
        name: 'SnapshotNotFound',
        message: 'No available snapshot of authdb-dev exists',
      });
    });

    it('snapshot mode resolves the named snapshot to its ARN and creation time', async () => {
      givenInstances(sourceInstance());
      rdsMock
        .on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'before-upgrade' })
        .resolves({ DBSnapshots: [snapshot('before-upgrade', '2026-11-20T09:00:00Z')] });
      const plan = await preflight(event({ mode: 'snapshot', snapshotIdentifier: 'before-upgrade' }), config, deps());
      expect(plan.snapshot).toEqual({
        identifier: 'arn:aws:rds:ap-northeast-2:111111111111:snapshot:before-upgrade',
        createdAt: '2026-11-20T09:00:00.000Z',
      });
    });

    it('refuses a named snapshot of another instance, naming both instances', async () => {
      givenInstances(sourceInstance());
      rdsMock.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [snapshot('rds:billing-2026-11-24', '2026-11-24T18:05:00Z', { DBInstanceIdentifier: 'billing' })],
      });
      await expect(
        preflight(event({ mode: 'snapshot', snapshotIdentifier: 'rds:billing-2026-11-24' }), config, deps()),
      ).rejects.toMatchObject({
        name: 'SnapshotNotFound',
        message: 'Snapshot rds:billing-2026-11-24 is of billing; allowed: a snapshot of authdb-dev',
      });
    });

    it('fails with SnapshotNotFound when the named snapshot or recovery point does not exist', async () => {
      givenInstances(sourceInstance());
      rdsMock
        .on(DescribeDBSnapshotsCommand)
        .rejects(new DBSnapshotNotFoundFault({ message: 'DBSnapshot not found', $metadata: {} }));
      await expect(
        preflight(event({ mode: 'snapshot', snapshotIdentifier: 'rds:gone' }), config, deps()),
      ).rejects.toMatchObject({ name: 'SnapshotNotFound', message: 'Snapshot rds:gone does not exist' });

      const arn = 'arn:aws:rds:ap-northeast-2:111111111111:snapshot:awsbackup:job-0dead';
      await expect(
        preflight(event({ mode: 'recovery-point', recoveryPointArn: arn }), config, deps()),
      ).rejects.toMatchObject({ name: 'SnapshotNotFound', message: `Snapshot ${arn} does not exist` });
      expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand).at(-1)!.args[0].input).toEqual({
        DBSnapshotIdentifier: arn,
      });
    });
  });
});

describe('requestDrillRestore', () => {
  const config = {
    instanceClass: 'db.t4g.medium',
    subnetGroupName: 'drill-subnets',
    securityGroupId: 'sg-0drill',
    parameterGroupName: 'authdb-params',
  };
  const COUNTED_AT = '2026-11-25T01:01:10.123Z';
  const plan = (extra: Partial<DrillPlan> = {}): DrillPlan => ({
    environment: 'dev',
    mode: 'point-in-time',
    sourceInstanceId: SOURCE,
    source: { host: 'authdb-dev.example', port: 5432 },
    scratchInstanceId: SCRATCH,
    executionArn: EXECUTION_ARN,
    executionName: EXECUTION_NAME,
    startedAt: STARTED_AT,
    rpo: { latestRestorableTime: '2026-11-25T00:57:30.000Z', lagSeconds: 270, measuredAt: STARTED_AT },
    ...extra,
  });
  const sourceCounts = { countedAt: COUNTED_AT, settleCutoff: '2026-11-25T00:56:10.123Z', tables: {} };
  const common = {
    DBInstanceClass: 'db.t4g.medium',
    DBSubnetGroupName: 'drill-subnets',
    VpcSecurityGroupIds: ['sg-0drill'],
    DBParameterGroupName: 'authdb-params',
    MultiAZ: false,
    PubliclyAccessible: false,
    DeletionProtection: false,
    BackupRetentionPeriod: 0,
    EnableIAMDatabaseAuthentication: true,
    AutoMinorVersionUpgrade: false,
    CopyTagsToSnapshot: false,
  };

  it('restores the source to the instant it was counted, tagged as this drill', async () => {
    givenInstances();
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    const request = await requestDrillRestore({ plan: plan(), sourceCounts }, config, { rds, now });
    expect(request).toEqual({
      instanceId: SCRATCH,
      requestedAt: NOW.toISOString(),
      restoreTime: COUNTED_AT,
      alreadyRequested: false,
    });
    const calls = rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      ...common,
      SourceDBInstanceIdentifier: SOURCE,
      TargetDBInstanceIdentifier: SCRATCH,
      RestoreTime: new Date(COUNTED_AT),
      Tags: [
        { Key: TAG_PURPOSE, Value: PURPOSE_DRILL },
        { Key: TAG_EXECUTION, Value: EXECUTION_ARN },
        { Key: TAG_REQUESTED_AT, Value: NOW.toISOString() },
        { Key: TAG_RESTORED_FROM, Value: `${SOURCE}@${COUNTED_AT}` },
      ],
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toHaveLength(0);
  });

  it('restores the planned snapshot in the snapshot modes', async () => {
    givenInstances();
    rdsMock.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
    const snapshotArn = 'arn:aws:rds:ap-northeast-2:111111111111:snapshot:awsbackup:job-0aa';
    const request = await requestDrillRestore(
      {
        plan: plan({
          mode: 'latest-snapshot',
          snapshot: { identifier: snapshotArn, createdAt: '2026-11-24T18:10:00Z' },
        }),
        sourceCounts: null,
      },
      config,
      { rds, now },
    );
    expect(request).toEqual({ instanceId: SCRATCH, requestedAt: NOW.toISOString(), alreadyRequested: false });
    const calls = rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      ...common,
      DBSnapshotIdentifier: snapshotArn,
      DBInstanceIdentifier: SCRATCH,
      Tags: [
        { Key: TAG_PURPOSE, Value: PURPOSE_DRILL },
        { Key: TAG_EXECUTION, Value: EXECUTION_ARN },
        { Key: TAG_REQUESTED_AT, Value: NOW.toISOString() },
        { Key: TAG_RESTORED_FROM, Value: snapshotArn },
      ],
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
  });

  it('on a retry finds the instance it already asked for, and asks for nothing more', async () => {
    givenInstances(
      scratchInstance(
        SCRATCH,
        { ...ourTags, [TAG_REQUESTED_AT]: '2026-11-25T01:01:30.000Z' },
        {
          DBInstanceStatus: 'creating',
        },
      ),
    );
    const request = await requestDrillRestore({ plan: plan(), sourceCounts }, config, { rds, now });
    expect(request).toEqual({
      instanceId: SCRATCH,
      requestedAt: '2026-11-25T01:01:30.000Z',
      restoreTime: COUNTED_AT,
      alreadyRequested: true,
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toHaveLength(0);
  });

  it('refuses an existing instance tagged for another execution, restoring nothing', async () => {
    const other = `${EXECUTION_ARN}-other`;
    givenInstances(scratchInstance(SCRATCH, { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_EXECUTION]: other }));
    await expect(requestDrillRestore({ plan: plan(), sourceCounts }, config, { rds, now })).rejects.toMatchObject({
      name: 'ScratchInstanceNotOwned',
      message:
        `Instance ${SCRATCH} exists but belongs to ${other}; ` +
        `allowed: only an instance tagged with this execution (${EXECUTION_ARN})`,
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
  });

  it('refuses an existing instance of that name without the drill tags', async () => {
    givenInstances(scratchInstance(SCRATCH, {}));
    await expect(requestDrillRestore({ plan: plan(), sourceCounts }, config, { rds, now })).rejects.toMatchObject({
      name: 'ScratchInstanceNotOwned',
      message: expect.stringContaining(`Instance ${SCRATCH} exists but belongs to no drill`),
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
  });

  it('resolves a DBInstanceAlreadyExistsFault race as its own request when the instance is ours', async () => {
    let describes = 0;
    rdsMock.on(DescribeDBInstancesCommand).callsFake(() => {
      if (++describes === 1) throw new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} });
      return {
        DBInstances: [scratchInstance(SCRATCH, { ...ourTags, [TAG_REQUESTED_AT]: '2026-11-25T01:01:59.000Z' })],
      };
    });
    rdsMock
      .on(RestoreDBInstanceToPointInTimeCommand)
      .rejects(error('DBInstanceAlreadyExistsFault', `DB instance already exists: ${SCRATCH}`));
    const request = await requestDrillRestore({ plan: plan(), sourceCounts }, config, { rds, now });
    expect(request).toEqual({
      instanceId: SCRATCH,
      requestedAt: '2026-11-25T01:01:59.000Z',
      restoreTime: COUNTED_AT,
      alreadyRequested: true,
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(1);
    expect(describes).toBe(2);
  });

  it('lets any other restore error through with its name (the workflow catches and cleans up)', async () => {
    givenInstances();
    rdsMock
      .on(RestoreDBInstanceToPointInTimeCommand)
      .rejects(error('InsufficientDBInstanceCapacityFault', 'No capacity for db.t4g.medium'));
    await expect(requestDrillRestore({ plan: plan(), sourceCounts }, config, { rds, now })).rejects.toMatchObject({
      name: 'InsufficientDBInstanceCapacityFault',
      message: 'No capacity for db.t4g.medium',
    });
  });

  it('refuses a point-in-time restore without the source counts, before any RDS call', async () => {
    for (const counts of [undefined, null]) {
      await expect(
        requestDrillRestore({ plan: plan(), sourceCounts: counts }, config, { rds, now }),
      ).rejects.toMatchObject({
        name: 'InvalidInput',
        message: 'A point-in-time drill needs the source counts (their instant is the restore time)',
      });
    }
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('refuses a target that is not a drill- instance (never restores over anything else)', async () => {
    await expect(
      requestDrillRestore({ plan: plan({ scratchInstanceId: SOURCE }), sourceCounts }, config, { rds, now }),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('plan.scratchInstanceId') });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('instanceStatus', () => {
  const SINCE = '2026-11-25T01:00:00.000Z';
  const MAX_WAIT = 5400;
  const at = (ms: number) => () => new Date(Date.parse(SINCE) + ms);
  const look = (extra: Record<string, unknown> = {}, clock = now) =>
    instanceStatus({ instanceId: SCRATCH, since: SINCE, maxWaitSeconds: MAX_WAIT, ...extra }, { rds, now: clock });
  const endpoint = { Address: `${SCRATCH}.abcdefghijkl.ap-northeast-2.rds.amazonaws.com`, Port: 5432 };

  it('reports an available instance with its endpoint', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { Endpoint: endpoint }));
    expect(await look()).toEqual({
      instanceId: SCRATCH,
      status: 'available',
      available: true,
      settled: true,
      failed: false,
      timedOut: false,
      checkedAt: NOW.toISOString(),
      endpoint: { host: endpoint.Address, port: 5432 },
    });
  });

  it('reports a creating instance as neither available nor failed, without an endpoint', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'creating' }));
    const status = await look();
    expect(status).toMatchObject({ status: 'creating', available: false, failed: false, timedOut: false });
    expect(status).not.toHaveProperty('endpoint');
    // An address without a port is no endpoint either.
    givenInstances(
      scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'backing-up', Endpoint: { Address: endpoint.Address } }),
    );
    expect(await look()).not.toHaveProperty('endpoint');
  });

  it.each([...TERMINAL_FAILURE_STATES])('reports %s as failed for good', async (terminal) => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: terminal }));
    expect(await look()).toMatchObject({ status: terminal, available: false, failed: true });
  });

  it('covers the statuses from which RDS does not recover by itself', () => {
    expect([...TERMINAL_FAILURE_STATES].sort()).toEqual([
      'failed',
      'inaccessible-encryption-credentials',
      'incompatible-network',
      'incompatible-parameters',
      'incompatible-restore',
      'restore-error',
      'storage-full',
    ]);
  });

  it('reports an instance that does not exist as not-found and failed', async () => {
    givenInstances();
    expect(await look()).toEqual({
      instanceId: SCRATCH,
      status: 'not-found',
      available: false,
      settled: false,
      failed: true,
      timedOut: false,
      checkedAt: NOW.toISOString(),
    });
  });

  it('times out only after more than maxWaitSeconds since the wait began', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'creating' }));
    expect((await look({}, at(MAX_WAIT * 1000))).timedOut).toBe(false);
    expect((await look({}, at(MAX_WAIT * 1000 + 1))).timedOut).toBe(true);
    expect((await look({}, at(MAX_WAIT * 1000 + 1))).checkedAt).toBe('2026-11-25T02:30:00.001Z');
  });

  it('says whether LatestRestorableTime has reached the restore time', async () => {
    const restoreTime = '2026-11-25T01:01:10.123Z';
    givenInstances(sourceInstance({ LatestRestorableTime: new Date(restoreTime) }));
    const reached = await instanceStatus(
      { instanceId: SOURCE, since: restoreTime, maxWaitSeconds: 900, restoreTime },
      { rds, now },
    );
    expect(reached).toMatchObject({ restorable: true, latestRestorableTime: restoreTime, available: true });

    givenInstances(sourceInstance({ LatestRestorableTime: new Date(Date.parse(restoreTime) - 1) }));
    const behind = await instanceStatus(
      { instanceId: SOURCE, since: restoreTime, maxWaitSeconds: 900, restoreTime },
      { rds, now },
    );
    expect(behind).toMatchObject({ restorable: false, latestRestorableTime: '2026-11-25T01:01:10.122Z' });

    givenInstances(sourceInstance({ LatestRestorableTime: undefined }));
    const unknown = await instanceStatus(
      { instanceId: SOURCE, since: restoreTime, maxWaitSeconds: 900, restoreTime },
      { rds, now },
    );
    expect(unknown.restorable).toBe(false);
    expect(unknown).not.toHaveProperty('latestRestorableTime');
  });

  it('says nothing about restorable when no restore time is asked about', async () => {
    givenInstances(sourceInstance());
    expect(
      await instanceStatus({ instanceId: SOURCE, since: SINCE, maxWaitSeconds: 900 }, { rds, now }),
    ).not.toHaveProperty('restorable');
  });

  it('refuses an event without a zoned since time', async () => {
    await expect(
      instanceStatus({ instanceId: SCRATCH, since: '2026-11-25 01:00', maxWaitSeconds: 60 }, { rds, now }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^Invalid instance status event: since = "2026-11-25 01:00"/),
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('cleanupScratchInstance', () => {
  const event = { plan: { scratchInstanceId: SCRATCH, executionArn: EXECUTION_ARN } };

  it('deletes its own scratch instance without a final snapshot or retained backups', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags));
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    expect(await cleanupScratchInstance(event, { rds, now })).toEqual({
      instanceId: SCRATCH,
      action: 'deleted',
      at: NOW.toISOString(),
    });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: SCRATCH, SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
  });

  it('leaves an instance already being deleted alone', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'deleting' }));
    expect(await cleanupScratchInstance(event, { rds, now })).toEqual({
      instanceId: SCRATCH,
      action: 'already-deleting',
      at: NOW.toISOString(),
    });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('reports not-found when the instance disappears between the look and the delete', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags));
    rdsMock
      .on(DeleteDBInstanceCommand)
      .rejects(new DBInstanceNotFoundFault({ message: `DBInstance ${SCRATCH} not found.`, $metadata: {} }));
    expect(await cleanupScratchInstance(event, { rds, now })).toEqual({
      instanceId: SCRATCH,
      action: 'not-found',
      at: NOW.toISOString(),
    });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
  });

  it('lets throttling through with its name, for the Retry of the Cleanup state', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags));
    rdsMock.on(DeleteDBInstanceCommand).rejects(error('Throttling', 'Rate exceeded'));
    await expect(cleanupScratchInstance(event, { rds, now })).rejects.toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
    });
  });

  it('lets an instance that cannot be deleted yet through as InvalidDBInstanceStateFault', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'creating' }));
    rdsMock
      .on(DeleteDBInstanceCommand)
      .rejects(error('InvalidDBInstanceStateFault', 'Instance is not in available state'));
    await expect(cleanupScratchInstance(event, { rds, now })).rejects.toMatchObject({
      name: 'InvalidDBInstanceStateFault',
    });
  });
});

describe('drill report', () => {
  const config: ReportConfig = {
    environment: 'dev',
    bucket: 'authdb-dr-dev-reports',
    topicArn: 'arn:aws:sns:ap-northeast-2:111111111111:authdb-dr-dev-alerts',
    rtoTargetSeconds: 900,
    rpoTargetSeconds: 300,
  };
  const REPORTED = new Date('2026-11-25T01:20:00.000Z');
  const plan: DrillPlan = {
    environment: 'dev',
    mode: 'point-in-time',
    sourceInstanceId: SOURCE,
    source: { host: 'authdb-dev.example', port: 5432 },
    scratchInstanceId: SCRATCH,
    executionArn: EXECUTION_ARN,
    executionName: EXECUTION_NAME,
    startedAt: STARTED_AT,
    rpo: { latestRestorableTime: '2026-11-25T00:56:00.000Z', lagSeconds: 240, measuredAt: '2026-11-25T01:00:00.000Z' },
  };
  const tableVerdict = (table: string, difference: number) => ({
    table,
    source: { total: 100, settled: 98 },
    restored: { total: 100 + difference, settled: 98 + difference, newest: '2026-11-25T01:01:05.000Z' },
    compared: 'settled' as const,
    tolerance: 0,
    difference,
    totalDifference: difference,
    withinTolerance: difference === 0,
  });

  /** A point-in-time drill: requested 01:02, available 01:12 (600 s), verified 01:17 (300 s), 900 s in all. */
  function succeeded(verifiedAt = '2026-11-25T01:17:00.000Z'): DrillState {
    return {
      plan,
      sourceCounts: { countedAt: '2026-11-25T01:01:10.000Z', settleCutoff: '2026-11-25T00:56:10.000Z', tables: {} },
      restore: {
        instanceId: SCRATCH,
        requestedAt: '2026-11-25T01:02:00.000Z',
        restoreTime: '2026-11-25T01:01:10.000Z',
        alreadyRequested: false,
      },
      scratch: {
        instanceId: SCRATCH,
        status: 'available',
        available: true,
        settled: true,
        failed: false,
        timedOut: false,
        checkedAt: '2026-11-25T01:12:00.000Z',
        endpoint: { host: `${SCRATCH}.example`, port: 5432 },
      },
      verification: {
        compared: true,
        ok: true,
        complete: true,
        summary: '3 tables match the source as of 2026-11-25T01:01:10.000Z',
        verifiedAt,
        verification: {
          ok: true,
          countedAt: '2026-11-25T01:01:10.000Z',
          settleCutoff: '2026-11-25T00:56:10.000Z',
          freshnessSeconds: 5,
          tables: [tableVerdict('users', 0), tableVerdict('platform_accounts', 0), tableVerdict('audit_logs', 0)],
          missingTables: [],
        },
      },
      cleanup: { instanceId: SCRATCH, action: 'deleted', at: '2026-11-25T01:18:00.000Z' },
    };
  }

  it('computes the RTO phases from the state: requested -> available -> verified', () => {
    const report = buildReport(succeeded(), config, REPORTED);
    expect(report.rto).toEqual({
      targetSeconds: 900,
      restoreRequestedAt: '2026-11-25T01:02:00.000Z',
      availableAt: '2026-11-25T01:12:00.000Z',
      verifiedAt: '2026-11-25T01:17:00.000Z',
      restoreSeconds: 600,
      verifySeconds: 300,
      totalSeconds: 900,
      withinTarget: true,
    });
    expect(report).toMatchObject({
      kind: 'dr-drill',
      environment: 'dev',
      outcome: 'succeeded',
      execution: { arn: EXECUTION_ARN, name: EXECUTION_NAME, startedAt: STARTED_AT },
      mode: 'point-in-time',
      sourceInstanceId: SOURCE,
      scratchInstanceId: SCRATCH,
      restoreTime: '2026-11-25T01:01:10.000Z',
      mismatchedTables: [],
      cleanup: { action: 'deleted' },
      reportedAt: REPORTED.toISOString(),
    });
    expect(report).not.toHaveProperty('error');
    expect(report).not.toHaveProperty('snapshot');
  });

  it('is within the RTO target at exactly the target, not one second later', () => {
    expect(buildReport(succeeded('2026-11-25T01:17:00.000Z'), config, REPORTED).rto).toMatchObject({
      totalSeconds: 900,
      withinTarget: true,
    });
    expect(buildReport(succeeded('2026-11-25T01:17:01.000Z'), config, REPORTED).rto).toMatchObject({
      totalSeconds: 901,
      withinTarget: false,
    });
  });

  it('judges the RPO lag against the target, and reports the freshness the restore proves', () => {
    const at = (lagSeconds: number) =>
      buildReport({ ...succeeded(), plan: { ...plan, rpo: { ...plan.rpo, lagSeconds } } }, config, REPORTED).rpo;
    expect(at(240)).toEqual({
      targetSeconds: 300,
      latestRestorableTime: '2026-11-25T00:56:00.000Z',
      lagSeconds: 240,
      freshnessSeconds: 5,
      withinTarget: true,
    });
    expect(at(300).withinTarget).toBe(true);
    expect(at(301).withinTarget).toBe(false);
  });

  it('names the tables that did not match and fails the drill', () => {
    const state = succeeded();
    if (state.verification?.compared !== true) throw new Error('unreachable');
    state.verification.ok = false;
    state.verification.complete = false;
    state.verification.verification.tables[0] = tableVerdict('users', -1);
    state.error = { Error: 'VerificationMismatch', Cause: 'Restore verification failed: users: ...' };
    const report = buildReport(state, config, REPORTED);
    expect(report.outcome).toBe('failed');
    expect(report.mismatchedTables).toEqual(['users']);
  });

  it('lists per table the counts, the digest match, schema differences and the newest row vs the recovery point', () => {
    const state = succeeded();
    if (state.verification?.compared !== true) throw new Error('unreachable');
    const v = state.verification.verification;
    v.ok = false;
    v.tables[0] = {
      ...tableVerdict('users', 0),
      digest: {
        match: false,
        judged: true,
        mismatchedRanges: [{ from: '1001', to: '2000', sourceRows: 98, restoredRows: 98 }],
        sampleIds: ['1234'],
      },
    };
    v.tables[1] = {
      ...tableVerdict('platform_accounts', 0),
      digest: { match: true, judged: true, mismatchedRanges: [] },
    };
    v.schemaDifferences = [
      { kind: 'index', name: 'audit_logs.audit_logs_user_idx', source: 'CREATE INDEX audit_logs_user_idx ...' },
      { kind: 'extension', name: 'pg_trgm', source: '1.6' },
    ];
    const report = buildReport(state, config, REPORTED);
    expect(report.tables).toEqual([
      {
        table: 'users',
        compared: 'settled',
        sourceCount: 98,
        restoredCount: 98,
        sourceTotal: 100,
        restoredTotal: 100,
        digestMatch: false,
        differingKeys: ['1234'],
        schemaDifferences: [],
        newestRow: '2026-11-25T01:01:05.000Z',
        // restore time 01:01:10
        newestBeforeRecoveryPointSeconds: 5,
        ok: false,
      },
      expect.objectContaining({ table: 'platform_accounts', digestMatch: true, ok: true }),
      expect.objectContaining({
        table: 'audit_logs',
        schemaDifferences: ['index audit_logs.audit_logs_user_idx missing in the restore'],
        ok: false,
      }),
    ]);
    expect(report.databaseSchemaDifferences).toEqual(['extension pg_trgm missing in the restore']);
    expect(report.mismatchedTables).toEqual(['users', 'audit_logs']);
    const { message } = summarize(report, 's3://b/k');
    expect(message).toContain(
      'FAIL users: 98 settled rows in the source, 98 restored, content digest DIFFERS (keys 1234), newest row 0m05s before the recovery point',
    );
    expect(message).toContain(
      'ok   platform_accounts: 98 settled rows in the source, 98 restored, content digest matches',
    );
    expect(message).toContain(
      'FAIL audit_logs: 98 settled rows in the source, 98 restored, schema: index audit_logs.audit_logs_user_idx missing in the restore',
    );
    expect(message).toContain('FAIL database schema: extension pg_trgm missing in the restore');
  });

  it('reports a snapshot drill uncompared, with freshness measured from the snapshot time', () => {
    const snapshot = {
      identifier: 'arn:aws:rds:ap-northeast-2:111111111111:snapshot:awsbackup:job-0aa',
      createdAt: '2026-11-24T18:10:00.000Z',
    };
    const state: DrillState = {
      ...succeeded(),
      plan: { ...plan, mode: 'latest-snapshot', snapshot },
      sourceCounts: undefined,
      restore: { instanceId: SCRATCH, requestedAt: '2026-11-25T01:02:00.000Z', alreadyRequested: false },
      verification: {
        compared: false,
        ok: true,
        complete: true,
        summary: '3 tables counted (snapshot restore: not compared)',
        verifiedAt: '2026-11-25T01:17:00.000Z',
        report: {
          ok: true,
          compared: false,
          cutoff: snapshot.createdAt,
          newest: '2026-11-24T18:08:30.000Z',
          tables: { users: { total: 100, settled: 100, newest: '2026-11-24T18:08:30.000Z' } },
          missingTables: [],
        },
      },
    };
    const report = buildReport(state, config, REPORTED);
    expect(report).toMatchObject({
      outcome: 'succeeded',
      mode: 'latest-snapshot',
      snapshot,
      verification: { compared: false },
      mismatchedTables: [],
      rpo: { freshnessSeconds: 90 },
      rto: { totalSeconds: 900 },
    });
    expect(report).not.toHaveProperty('restoreTime');
  });

  it('reports a failed drill with its error and only the phases it reached', () => {
    const state: DrillState = {
      plan,
      sourceCounts: succeeded().sourceCounts,
      error: { Error: 'InsufficientDBInstanceCapacityFault', Cause: 'No capacity for db.t4g.medium' },
      cleanup: { instanceId: SCRATCH, action: 'not-found', at: '2026-11-25T01:03:00.000Z' },
    };
    const report = buildReport(state, config, REPORTED);
    expect(report).toMatchObject({
      outcome: 'failed',
      error: { Error: 'InsufficientDBInstanceCapacityFault', Cause: 'No capacity for db.t4g.medium' },
      rto: { targetSeconds: 900 },
      mismatchedTables: [],
      cleanup: { action: 'not-found' },
    });
    expect(Object.keys(report.rto)).toEqual(['targetSeconds']);
    expect(report).not.toHaveProperty('verification');
    const { message } = summarize(report, 's3://b/k');
    expect(message).toContain('Error: InsufficientDBInstanceCapacityFault: No capacity for db.t4g.medium');
    expect(message).toContain('Verification: not reached');
    expect(message).toContain(`Scratch instance ${SCRATCH}: not-found`);
  });

  it('does not call a drill without verification a success', () => {
    const { verification: _, ...state } = succeeded();
    expect(buildReport(state, config, REPORTED).outcome).toBe('failed');
  });

  it('writes the report to drills/<env>/<yyyy>/<mm>/<execution>.json, records the metrics and mails a summary', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    const result = await reportDrill(succeeded(), config, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics,
      now: () => REPORTED,
    });
    const key = `drills/dev/2026/11/${EXECUTION_NAME}.json`;
    expect(result).toEqual({ reportKey: key, outcome: 'succeeded' });

    const puts = s3Mock.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    const put = puts[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'authdb-dr-dev-reports', Key: key, ContentType: 'application/json' });
    expect(JSON.parse(String(put.Body))).toEqual(buildReport(succeeded(), config, REPORTED));

    expect(metrics.addMetric.mock.calls).toEqual([
      ['DrillSucceeded', 'Count', 1],
      ['DrillFailed', 'Count', 0],
      ['RpoLagSeconds', 'Seconds', 240],
      ['MismatchedTables', 'Count', 0],
      ['RestoreSeconds', 'Seconds', 600],
      ['VerifySeconds', 'Seconds', 300],
      ['RtoSeconds', 'Seconds', 900],
      ['FreshnessSeconds', 'Seconds', 5],
    ]);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);

    const publishes = snsMock.commandCalls(PublishCommand);
    expect(publishes).toHaveLength(1);
    const publish = publishes[0]!.args[0].input;
    expect(publish.TopicArn).toBe(config.topicArn);
    expect(publish.Subject).toBe('[authdb-dr dev] DR drill succeeded: RTO 15m00s, RPO lag 4m00s');
    expect(publish.Message).toContain(`Report: s3://authdb-dr-dev-reports/${key}`);
    expect(publish.Message).toContain('RTO: restore 10m00s + verify 5m00s = 15m00s (target 15m00s)');
    expect(publish.Message).toContain(`Execution: ${EXECUTION_ARN}`);
  });

  it('records a failed drill as DrillFailed without the RTO metrics it never measured', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    const state: DrillState = {
      plan: { ...plan, startedAt: '2026-01-31T23:59:59.000Z' },
      error: { Error: 'RestoreTimedOut', Cause: `Scratch instance ${SCRATCH} still creating after 90 minutes` },
    };
    const result = await reportDrill(state, config, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics,
      now: () => REPORTED,
    });
    expect(result).toEqual({ reportKey: `drills/dev/2026/01/${EXECUTION_NAME}.json`, outcome: 'failed' });
    expect(metrics.addMetric.mock.calls).toEqual([
      ['DrillSucceeded', 'Count', 0],
      ['DrillFailed', 'Count', 1],
      ['RpoLagSeconds', 'Seconds', 240],
      ['MismatchedTables', 'Count', 0],
    ]);
    const subject = snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Subject!;
    expect(subject).toBe('[authdb-dr dev] DR drill failed: RTO n/a, RPO lag 4m00s');
  });

  it('keeps the e-mail subject within the 100 characters SNS allows, naming the outcome', () => {
    const report = buildReport(
      succeeded(),
      { ...config, environment: 'a-very-long-environment-name'.repeat(4) },
      REPORTED,
    );
    const { subject } = summarize(report, 's3://b/k');
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^\[authdb-dr a-very-long-environment-name/);
    const failed = summarize(buildReport({ plan }, config, REPORTED), 's3://b/k').subject;
    expect(failed.length).toBeLessThanOrEqual(100);
    expect(failed).toContain('DR drill failed');
  });

  it('shows fractional seconds as whole minutes and seconds (never "60s")', () => {
    const state = succeeded();
    if (state.verification?.compared !== true) throw new Error('unreachable');
    state.verification.verification.freshnessSeconds = 119.6;
    const { message } = summarize(buildReport(state, config, REPORTED), 's3://b/k');
    expect(message).toContain('restored data 2m00s older than the restore point');
  });

  it('records a failed cleanup in the report and the e-mail instead of "cleanup not reached"', async () => {
    // The Cleanup state's Catch puts the error at $.cleanupError and goes on to Report; the execution then fails
    // with CleanupFailed, and the scratch instance is still there for someone to delete.
    s3Mock.on(PutObjectCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { cleanup: _, ...state } = succeeded();
    const event = { ...state, cleanupError: { Error: 'Throttling', Cause: 'Rate exceeded' } };
    await reportDrill(event, config, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics: { addMetric: vi.fn(), publishStoredMetrics: vi.fn() },
      now: () => REPORTED,
    });
    const body = String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body);
    expect(body).toContain('Throttling');
    const message = snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(message).toContain('Throttling');
    expect(message).not.toContain('cleanup not reached');
  });

  it('carries no secret-looking field from the workflow state into the report', () => {
    const state = succeeded() as DrillState & Record<string, unknown>;
    (state.plan as unknown as Record<string, unknown>).masterUserSecret = { SecretArn: 'arn:...:secret:rds!db-1' };
    state.credentials = { password: 'hunter2', token: 'abc' };
    const report = buildReport(state, config, REPORTED);
    const text = JSON.stringify(report);
    expect(text).not.toMatch(/password|secret|token|credential|hunter2/i);
    expect(summarize(report, 's3://b/k').message).not.toMatch(/password|secret|token|hunter2/i);
  });
});

describe('sweep', () => {
  const NOW_SWEEP = new Date('2026-11-25T12:00:00.000Z');
  const hoursAgo = (h: number) => new Date(NOW_SWEEP.getTime() - h * 3_600_000).toISOString();
  const exec = (name: string) => `arn:aws:states:ap-northeast-2:111111111111:execution:authdb-dr-dev-drill:${name}`;
  const drill = (id: string, execution: string | undefined, requestedAt: string | undefined, status = 'available') =>
    scratchInstance(
      id,
      {
        [TAG_PURPOSE]: PURPOSE_DRILL,
        ...(execution ? { [TAG_EXECUTION]: execution } : {}),
        ...(requestedAt ? { [TAG_REQUESTED_AT]: requestedAt } : {}),
      },
      { DBInstanceStatus: status, InstanceCreateTime: new Date(NOW_SWEEP.getTime() - 24 * 3_600_000) },
    );

  function run(instances: DBInstance[], statuses: Record<string, string | Error>) {
    givenInstances(...instances);
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      const status = statuses[input.executionArn];
      if (status === undefined) throw new Error(`unexpected DescribeExecution of ${input.executionArn}`);
      if (status instanceof Error) throw status;
      return { executionArn: input.executionArn, status };
    });
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    return { metrics, result: sweep({ maxAgeHours: 6 }, { rds, sfn, metrics, now: () => NOW_SWEEP }) };
  }

  const deleted = () => rdsMock.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.DBInstanceIdentifier);

  it('deletes old drill instances whose execution no longer runs and keeps those whose execution runs', async () => {
    const production = { ...sourceInstance(), InstanceCreateTime: new Date('2026-01-01T00:00:00Z') };
    const instances = [
      production,
      drill('drill-finished', exec('finished'), hoursAgo(7)),
      drill('drill-running', exec('running'), hoursAgo(8)),
      drill('drill-lost', exec('lost'), hoursAgo(10)),
      drill('drill-young', exec('young'), hoursAgo(5.9)),
      drill('drill-at-max-age', exec('failed'), hoursAgo(6)),
      drill('drill-being-deleted', exec('aborted'), hoursAgo(9), 'deleting'),
      drill('drill-no-execution-tag', undefined, undefined),
      scratchInstance('drill-untagged', {}, { InstanceCreateTime: new Date('2026-11-01T00:00:00Z') }),
      scratchInstance(
        'restored-tagged-like-a-drill',
        { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_REQUESTED_AT]: hoursAgo(20) },
        { InstanceCreateTime: new Date('2026-11-01T00:00:00Z') },
      ),
    ];
    const { metrics, result } = run(instances, {
      [exec('finished')]: 'SUCCEEDED',
      [exec('running')]: 'RUNNING',
      [exec('lost')]: error('ExecutionDoesNotExist', 'Execution Does Not Exist'),
      [exec('failed')]: 'FAILED',
      [exec('aborted')]: 'ABORTED',
    });
    expect(await result).toEqual({
      orphaned: ['drill-finished', 'drill-lost', 'drill-at-max-age', 'drill-being-deleted', 'drill-no-execution-tag'],
      deleted: ['drill-finished', 'drill-lost', 'drill-at-max-age', 'drill-no-execution-tag'],
      kept: ['drill-running'],
    });
    expect(deleted()).toEqual(['drill-finished', 'drill-lost', 'drill-at-max-age', 'drill-no-execution-tag']);
    expect(deleted()).not.toContain(SOURCE);
    for (const call of rdsMock.commandCalls(DeleteDBInstanceCommand)) {
      expect(call.args[0].input).toMatchObject({ SkipFinalSnapshot: true, DeleteAutomatedBackups: true });
    }
    // Young and untagged instances are never looked up.
    expect(sfnMock.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([
      exec('finished'),
      exec('running'),
      exec('lost'),
      exec('failed'),
      exec('aborted'),
    ]);
    expect(metrics.addMetric.mock.calls).toEqual([['OrphanedDrillInstances', 'Count', 5]]);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);
  });

  it('records zero orphans and deletes nothing when all is clean', async () => {
    const { metrics, result } = run([sourceInstance(), drill('drill-running', exec('running'), hoursAgo(7))], {
      [exec('running')]: 'RUNNING',
    });
    expect(await result).toEqual({ orphaned: [], deleted: [], kept: ['drill-running'] });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(metrics.addMetric.mock.calls).toEqual([['OrphanedDrillInstances', 'Count', 0]]);
  });

  it('sees instances on every page of the listing', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [sourceInstance()], Marker: 'page-2' })
      .resolvesOnce({ DBInstances: [drill('drill-on-page-2', exec('finished'), hoursAgo(7))] });
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    const result = await sweep({ maxAgeHours: 6 }, { rds, sfn, metrics, now: () => NOW_SWEEP });
    expect(result.deleted).toEqual(['drill-on-page-2']);
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)[1]!.args[0].input).toMatchObject({ Marker: 'page-2' });
  });

  it('lets an unexpected Step Functions error through instead of deleting a drill that may still run', async () => {
    const { result } = run([drill('drill-unknown', exec('unknown'), hoursAgo(7))], {
      [exec('unknown')]: error('AccessDeniedException', 'not authorized to perform states:DescribeExecution'),
    });
    await expect(result).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });
});

describe('verifier event validation', () => {
  const config = {
    tables: [{ name: 'users', timeColumn: 'created_at', tolerance: 0 }],
    settleSeconds: 300,
    concurrency: 1,
  };
  const planForVerifier = { mode: 'point-in-time', source: { host: 'authdb-dev.example', port: 5432 } };

  it('refuses an event without an action, connecting to nothing', async () => {
    const connectTo = vi.fn();
    await expect(verifier({ plan: planForVerifier }, config, { connectTo, now })).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        "Invalid verifier event: action = missing; allowed: Invalid discriminator value. Expected 'count-source' | 'verify'",
    });
    await expect(
      verifier({ action: 'restore', plan: planForVerifier }, config, { connectTo, now }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('action = "restore"; allowed: Invalid discriminator value.'),
    });
    expect(connectTo).not.toHaveBeenCalled();
  });

  it('refuses a verify without the scratch endpoint, connecting to nothing', async () => {
    const connectTo = vi.fn();
    await expect(
      verifier({ action: 'verify', plan: planForVerifier, scratch: { status: 'available' } }, config, {
        connectTo,
        now,
      }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        'Invalid verifier event: scratch.endpoint = missing; allowed: Invalid input: expected object, received undefined',
    });
    await expect(
      verifier({ action: 'verify', plan: planForVerifier, scratch: { endpoint: { host: '', port: 5432 } } }, config, {
        connectTo,
        now,
      }),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('scratch.endpoint.host = ""') });
    expect(connectTo).not.toHaveBeenCalled();
  });
});
