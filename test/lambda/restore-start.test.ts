import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../lambda/restore-start/handler.js';
import { startRestore } from '../../lambda/restore-start/start.js';
import { TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT, TAG_RESTORED_FROM } from '../../lambda/shared/tags.js';
import {
  awsError,
  EXECUTION_ARN,
  NOW,
  now,
  restoredInstance,
  restorePlan,
  SOURCE,
  STARTED_AT,
  TARGET,
} from '../support/restore-lambdas.js';

const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: 'ap-northeast-2' });
const notFound = () => new DBInstanceNotFoundFault({ message: `DBInstance ${TARGET} not found.`, $metadata: {} });

beforeEach(() => {
  rdsMock.reset();
  rdsMock.on(DescribeDBInstancesCommand).rejects(notFound());
});

const restoreCalls = () => [
  ...rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand),
  ...rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand),
];

describe('startRestore', () => {
  it('restores to the planned time with the source settings, protected and with its own master secret', async () => {
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    expect(await startRestore({ plan: restorePlan() }, { rds, now })).toEqual({
      instanceId: TARGET,
      requestedAt: NOW.toISOString(),
      asOf: '2026-11-26T05:30:00.000Z',
      alreadyRequested: false,
    });
    const input = rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      SourceDBInstanceIdentifier: SOURCE,
      TargetDBInstanceIdentifier: TARGET,
      RestoreTime: new Date('2026-11-26T05:30:00.000Z'),
      DBInstanceClass: 'db.t4g.medium',
      DBSubnetGroupName: 'authdb-dev-subnets',
      VpcSecurityGroupIds: ['sg-0db'],
      DBParameterGroupName: 'authdb-dev-params',
      PubliclyAccessible: false,
      DeletionProtection: true,
      BackupRetentionPeriod: 7,
      EnableIAMDatabaseAuthentication: true,
      ManageMasterUserPassword: true,
      MasterUserSecretKmsKeyId: 'arn:aws:kms:ap-northeast-2:111111111111:key/source-key',
    });
    expect(input.UseLatestRestorableTime).toBeUndefined();
    expect(input.Tags).toEqual([
      { Key: TAG_PURPOSE, Value: 'restored' },
      { Key: TAG_EXECUTION, Value: EXECUTION_ARN },
      { Key: TAG_REQUESTED_AT, Value: NOW.toISOString() },
      { Key: TAG_RESTORED_FROM, Value: `${SOURCE}@2026-11-26T05:30:00.000Z` },
    ]);
  });

  it('asks for the latest restorable time when the plan has no restore time, and dates the data by the request', async () => {
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    const started = await startRestore(
      { plan: restorePlan({ restoreTime: undefined, useLatestRestorableTime: true }) },
      { rds, now },
    );
    expect(started.asOf).toBe(NOW.toISOString());
    const input = rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input;
    expect(input.UseLatestRestorableTime).toBe(true);
    expect(input.RestoreTime).toBeUndefined();
    expect(input.Tags).toContainEqual({ Key: TAG_RESTORED_FROM, Value: `${SOURCE}@latest` });
  });

  it('restores the planned snapshot in snapshot mode, dating the data by the snapshot', async () => {
    rdsMock.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
    const identifier = 'arn:aws:rds:ap-northeast-2:111111111111:snapshot:rds:authdb-dev-2026-11-25-18-05';
    const started = await startRestore(
      {
        plan: restorePlan({
          mode: 'snapshot',
          restoreTime: undefined,
          snapshot: { identifier, createdAt: '2026-11-25T18:05:00.000Z' },
        }),
      },
      { rds, now },
    );
    expect(started).toEqual({
      instanceId: TARGET,
      requestedAt: NOW.toISOString(),
      asOf: '2026-11-25T18:05:00.000Z',
      alreadyRequested: false,
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]!.args[0].input).toMatchObject({
      DBSnapshotIdentifier: identifier,
      DBInstanceIdentifier: TARGET,
      DeletionProtection: true,
    });
  });

  it('on a retry finds the instance it already asked for and asks for nothing more', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [restoredInstance()] });
    expect(await startRestore({ plan: restorePlan() }, { rds, now })).toEqual({
      instanceId: TARGET,
      requestedAt: '2026-11-26T05:40:30.000Z',
      asOf: '2026-11-26T05:30:00.000Z',
      alreadyRequested: true,
    });
    expect(restoreCalls()).toHaveLength(0);
  });

  it('takes the execution start as the request time of its own instance that lost its requested-at tag', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [restoredInstance({}, { [TAG_EXECUTION]: EXECUTION_ARN })] });
    const started = await startRestore({ plan: restorePlan({ restoreTime: undefined }) }, { rds, now });
    expect(started).toMatchObject({ requestedAt: STARTED_AT, asOf: STARTED_AT, alreadyRequested: true });
  });

  it('refuses an existing target that another execution (or nobody) tagged, restoring nothing', async () => {
    for (const tagValues of [{ [TAG_EXECUTION]: `${EXECUTION_ARN}-other` }, {} as Record<string, string>]) {
      rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [restoredInstance({}, tagValues)] });
      await expect(startRestore({ plan: restorePlan() }, { rds, now })).rejects.toMatchObject({
        name: 'TargetInUse',
        message:
          `Instance ${TARGET} appeared while this restore ran and is not tagged with this execution; ` +
          'allowed: a new identifier',
      });
    }
    expect(restoreCalls()).toHaveLength(0);
  });

  it('resolves a DBInstanceAlreadyExistsFault race as its own request when the instance is ours', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejectsOnce(notFound())
      .resolves({ DBInstances: [restoredInstance()] });
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).rejects(awsError('DBInstanceAlreadyExistsFault'));
    expect(await startRestore({ plan: restorePlan() }, { rds, now })).toMatchObject({
      requestedAt: '2026-11-26T05:40:30.000Z',
      alreadyRequested: true,
    });
  });

  it('refuses the instance a DBInstanceAlreadyExistsFault race revealed when it is not ours', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejectsOnce(notFound())
      .resolves({ DBInstances: [restoredInstance({}, { [TAG_EXECUTION]: `${EXECUTION_ARN}-other` })] });
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).rejects(awsError('DBInstanceAlreadyExistsFault'));
    await expect(startRestore({ plan: restorePlan() }, { rds, now })).rejects.toMatchObject({ name: 'TargetInUse' });
  });

  it('lets DBInstanceAlreadyExistsFault through when the instance is gone again by the second look', async () => {
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).rejects(awsError('DBInstanceAlreadyExistsFault', 'exists'));
    await expect(startRestore({ plan: restorePlan() }, { rds, now })).rejects.toMatchObject({
      name: 'DBInstanceAlreadyExistsFault',
    });
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)).toHaveLength(2);
  });

  it('lets any other restore error through with its name (the workflow catches it)', async () => {
    rdsMock
      .on(RestoreDBInstanceToPointInTimeCommand)
      .rejects(awsError('InsufficientDBInstanceCapacityFault', 'No capacity for db.t4g.medium'));
    await expect(startRestore({ plan: restorePlan() }, { rds, now })).rejects.toMatchObject({
      name: 'InsufficientDBInstanceCapacityFault',
      message: 'No capacity for db.t4g.medium',
    });
  });

  it('lets an error describing the target through instead of restoring blind', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(awsError('AccessDenied', 'not authorized'));
    await expect(startRestore({ plan: restorePlan() }, { rds, now })).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(restoreCalls()).toHaveLength(0);
  });

  it('refuses an event without a plan naming the target, execution and settings, before any RDS call', async () => {
    await expect(startRestore({}, { rds, now })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Invalid restore start event: plan = missing'),
    });
    const { targetInstanceId: _, ...withoutTarget } = restorePlan();
    await expect(startRestore({ plan: withoutTarget }, { rds, now })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('plan.targetInstanceId = missing'),
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('restore-start handler', () => {
  it('requests the restore with its own RDS client and returns what startRestore found', async () => {
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    const started = await handler({ plan: restorePlan() });
    expect(started).toMatchObject({ instanceId: TARGET, alreadyRequested: false, asOf: '2026-11-26T05:30:00.000Z' });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(1);
  });

  it('fails with InvalidInput on a bad event', async () => {
    await expect(handler({ plan: null })).rejects.toMatchObject({ name: 'InvalidInput' });
  });
});
