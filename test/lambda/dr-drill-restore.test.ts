import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requestDrRestore } from '../../lambda/dr-drill-restore/restore.js';
import { TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT, TAG_RESTORED_FROM } from '../../lambda/shared/tags.js';
import {
  EXECUTION_ARN,
  error,
  givenInstances,
  NOW,
  now,
  ourTags,
  rds,
  rdsMock,
  SCRATCH,
  SOURCE,
  STARTED_AT,
  scratchInstance,
} from '../support/drill-lambdas.js';

const BACKUPS = 'arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-0123456789abcdef';
const COUNTED_AT = '2026-11-25T01:01:10.123Z';
const config = {
  instanceClass: 'db.t4g.medium',
  subnetGroupName: 'dr-drill-subnets',
  securityGroupId: 'sg-0drdrill',
  parameterGroupName: 'authdb-params',
};
const plan = {
  scratchInstanceId: SCRATCH,
  automatedBackupsArn: BACKUPS,
  executionArn: EXECUTION_ARN,
  sourceInstanceId: SOURCE,
  startedAt: STARTED_AT,
};

beforeEach(() => {
  rdsMock.reset();
  givenInstances();
  rdsMock.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
});

describe('requestDrRestore', () => {
  it('restores the replicated automated backups to the instant the primary was counted, tagged as this drill', async () => {
    expect(await requestDrRestore({ plan, sourceCounts: { countedAt: COUNTED_AT } }, config, { rds, now })).toEqual({
      instanceId: SCRATCH,
      requestedAt: NOW.toISOString(),
      restoreTime: COUNTED_AT,
      alreadyRequested: false,
    });
    const input = rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      SourceDBInstanceAutomatedBackupsArn: BACKUPS,
      TargetDBInstanceIdentifier: SCRATCH,
      RestoreTime: new Date(COUNTED_AT),
      DBInstanceClass: 'db.t4g.medium',
      DBSubnetGroupName: 'dr-drill-subnets',
      VpcSecurityGroupIds: ['sg-0drdrill'],
      PubliclyAccessible: false,
      DeletionProtection: false,
    });
    expect(input.SourceDBInstanceIdentifier).toBeUndefined();
    expect(input.Tags).toEqual([
      { Key: TAG_PURPOSE, Value: 'drill-scratch' },
      { Key: TAG_EXECUTION, Value: EXECUTION_ARN },
      { Key: TAG_REQUESTED_AT, Value: NOW.toISOString() },
      { Key: TAG_RESTORED_FROM, Value: `${SOURCE}@${COUNTED_AT} (replicated backups)` },
    ]);
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)).toHaveLength(0);
  });

  it('restores to the latest restorable time when the primary could not be counted', async () => {
    const request = await requestDrRestore({ plan }, config, { rds, now });
    expect(request.restoreTime).toBeUndefined();
    const input = rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input;
    expect(input.UseLatestRestorableTime).toBe(true);
    expect(input.RestoreTime).toBeUndefined();
    expect(input.Tags).toContainEqual({ Key: TAG_RESTORED_FROM, Value: `${SOURCE}@latest (replicated backups)` });
  });

  it('on a retry finds its own instance and asks for nothing more', async () => {
    givenInstances(scratchInstance(SCRATCH, { ...ourTags, [TAG_REQUESTED_AT]: '2026-11-25T01:01:30.000Z' }));
    expect(await requestDrRestore({ plan, sourceCounts: { countedAt: COUNTED_AT } }, config, { rds, now })).toEqual({
      instanceId: SCRATCH,
      requestedAt: '2026-11-25T01:01:30.000Z',
      restoreTime: COUNTED_AT,
      alreadyRequested: true,
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
  });

  it('refuses an existing instance of that name that is not this drill, restoring nothing', async () => {
    givenInstances(scratchInstance(SCRATCH, { team: 'auth' }));
    await expect(requestDrRestore({ plan }, config, { rds, now })).rejects.toMatchObject({
      name: 'ScratchInstanceNotOwned',
      message: expect.stringContaining(`Instance ${SCRATCH} exists but belongs to no drill`),
    });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)).toHaveLength(0);
  });

  it('resolves a DBInstanceAlreadyExistsFault race as its own request when the instance is ours', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejectsOnce(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }))
      .resolves({ DBInstances: [scratchInstance(SCRATCH, ourTags, { InstanceCreateTime: new Date(STARTED_AT) })] });
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).rejects(error('DBInstanceAlreadyExistsFault', 'exists'));
    // No requested-at tag: the instance's creation time stands in.
    expect(await requestDrRestore({ plan }, config, { rds, now })).toMatchObject({
      requestedAt: STARTED_AT,
      alreadyRequested: true,
    });
  });

  it('lets a refused restore through with its name (the workflow catches and cleans up)', async () => {
    rdsMock
      .on(RestoreDBInstanceToPointInTimeCommand)
      .rejects(error('DBInstanceAutomatedBackupNotFound', 'No automated backup found'));
    await expect(requestDrRestore({ plan }, config, { rds, now })).rejects.toMatchObject({
      name: 'DBInstanceAutomatedBackupNotFound',
    });
  });

  it('refuses a target that is not a drill- instance, or backups that are not an ARN, before any RDS call', async () => {
    await expect(
      requestDrRestore({ plan: { ...plan, scratchInstanceId: SOURCE } }, config, { rds, now }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('plan.scratchInstanceId = "authdb-dev"'),
    });
    await expect(
      requestDrRestore({ plan: { ...plan, automatedBackupsArn: 'ab-0123' } }, config, { rds, now }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('plan.automatedBackupsArn = "ab-0123"'),
    });
    await expect(
      requestDrRestore({ plan, sourceCounts: { countedAt: '2026-11-25 01:01' } }, config, { rds, now }),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('sourceCounts.countedAt') });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('dr-drill-restore handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('restores with the configured class, subnets, security group and parameter group', async () => {
    vi.stubEnv('DRILL_INSTANCE_CLASS', 'db.r6g.large');
    vi.stubEnv('DRILL_SUBNET_GROUP', 'from-env-subnets');
    vi.stubEnv('DRILL_SECURITY_GROUP_ID', 'sg-env');
    vi.stubEnv('PARAMETER_GROUP', 'from-env-params');
    const { handler } = await import('../../lambda/dr-drill-restore/handler.js');
    await handler({ plan });
    expect(rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input).toMatchObject({
      DBInstanceClass: 'db.r6g.large',
      DBSubnetGroupName: 'from-env-subnets',
      VpcSecurityGroupIds: ['sg-env'],
      DBParameterGroupName: 'from-env-params',
    });
  });

  it('fails at load naming a missing variable', async () => {
    vi.stubEnv('DRILL_INSTANCE_CLASS', '');
    await expect(import('../../lambda/dr-drill-restore/handler.js')).rejects.toThrow(
      'Missing environment variable DRILL_INSTANCE_CLASS',
    );
  });
});
