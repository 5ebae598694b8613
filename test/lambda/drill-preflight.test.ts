import { type DBSnapshot, DBSnapshotNotFoundFault, DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { preflight } from '../../lambda/drill-preflight/preflight.js';
import type { DrillPlan } from '../../lambda/shared/drill.js';
import { PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE } from '../../lambda/shared/tags.js';
import {
  EXECUTION_ARN,
  EXECUTION_NAME,
  givenInstances,
  MACHINE_ARN,
  NOW,
  now,
  ourTags,
  rds,
  rdsMock,
  resetDrillMocks,
  SCRATCH,
  SOURCE,
  STARTED_AT,
  scratchInstance,
  sfn,
  sfnMock,
  sourceInstance,
} from '../support/drill-lambdas.js';

beforeEach(resetDrillMocks);

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
