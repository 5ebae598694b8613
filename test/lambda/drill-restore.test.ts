import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { requestDrillRestore } from '../../lambda/drill-restore/restore.js';
import type { DrillPlan } from '../../lambda/shared/drill.js';
import {
  PURPOSE_DRILL,
  TAG_EXECUTION,
  TAG_PURPOSE,
  TAG_REQUESTED_AT,
  TAG_RESTORED_FROM,
} from '../../lambda/shared/tags.js';
import {
  EXECUTION_ARN,
  EXECUTION_NAME,
  error,
  givenInstances,
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
} from '../support/drill-lambdas.js';

beforeEach(resetDrillMocks);

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
