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
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ControlConfig, control, type FailoverPlan } from '../../lambda/failover-control/control.js';
import { TAG_EXECUTION, TAG_PURPOSE } from '../../lambda/shared/tags.js';
import { awsError } from '../support/restore-lambdas.js';

const rdsMock = mockClient(RDSClient);
const backupMock = mockClient(BackupClient);
const NOW = new Date('2026-11-30T10:00:00.000Z');
const execution = {
  Id: 'arn:aws:states:ap-southeast-1:111111111111:execution:authdb-dr-prod-failover:incident-7',
  Name: 'incident-7',
  StartTime: '2026-11-30T09:58:00.000Z',
};
const config: ControlConfig = {
  environment: 'prod',
  primaryInstanceId: 'authdb-prod',
  standbyInstanceId: 'authdb-prod-standby',
  subnetGroup: 'authdb-prod-dr-subnets',
  parameterGroup: 'authdb-prod-dr-params',
  securityGroupId: 'sg-0dr',
  drVaultName: 'authdb-prod-dr-vault',
  instanceClasses: ['db.r6g.large', 'db.r6g.xlarge'],
  backupRetentionDays: 14,
  promoteTimeoutSeconds: 1800,
  restoreTimeoutSeconds: 7200,
};
const deps = () => ({
  rds: new RDSClient({ region: 'ap-southeast-1' }),
  backup: new BackupClient({ region: 'ap-southeast-1' }),
  now: () => NOW,
});
const notFound = () => new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} });
const planEvent = (input: Record<string, unknown>) => ({
  action: 'plan',
  input: { confirmSourceInstanceId: 'authdb-prod', ...input },
  execution,
});
const POINT = 'arn:aws:rds:ap-southeast-1:111111111111:snapshot:awsbackup:job-1234';
const OLDER = 'arn:aws:rds:ap-southeast-1:111111111111:snapshot:awsbackup:job-1000';

beforeEach(() => {
  rdsMock.reset();
  backupMock.reset();
  rdsMock.on(DescribeDBInstancesCommand).rejects(notFound());
});

describe('failover-control plan: bad input before anything changes', () => {
  it('rejects an event with an unknown action', async () => {
    await expect(control({ action: 'promote' }, config, deps())).rejects.toMatchObject({ name: 'InvalidInput' });
  });

  it('rejects an unknown mode, naming the allowed ones', async () => {
    await expect(control(planEvent({ mode: 'magic' }), config, deps())).rejects.toThrow(
      /promote.*pitr.*recovery-point/,
    );
  });

  it('rejects a confirmation that does not name the primary', async () => {
    await expect(
      control(planEvent({ mode: 'promote', confirmSourceInstanceId: 'authdb-dev' }), config, deps()),
    ).rejects.toThrow('confirmSourceInstanceId = "authdb-dev"; allowed: "authdb-prod" (the primary instance)');
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('rejects a failure time in the future', async () => {
    await expect(
      control(planEvent({ mode: 'promote', failureTime: '2026-11-30T11:00:00Z' }), config, deps()),
    ).rejects.toThrow(/failureTime = "2026-11-30T11:00:00Z"; allowed: a time not in the future/);
  });

  it('rejects a field that belongs to another mode', async () => {
    await expect(
      control(planEvent({ mode: 'promote', instanceClass: 'db.r6g.large' }), config, deps()),
    ).rejects.toThrow('instanceClass = "db.r6g.large"; allowed: only with mode pitr or recovery-point');
    await expect(control(planEvent({ mode: 'pitr', recoveryPointArn: POINT }), config, deps())).rejects.toThrow(
      /recoveryPointArn = .*; allowed: only with mode recovery-point/,
    );
  });

  it('rejects an instance class outside the configured ones', async () => {
    await expect(control(planEvent({ mode: 'pitr', instanceClass: 'db.t3.micro' }), config, deps())).rejects.toThrow(
      'instanceClass = "db.t3.micro"; allowed: one of db.r6g.large, db.r6g.xlarge',
    );
  });

  it('rejects a target id without the failover prefix IAM allows', async () => {
    await expect(control(planEvent({ mode: 'pitr', targetInstanceId: 'authdb-prod' }), config, deps())).rejects.toThrow(
      'targetInstanceId = "authdb-prod"; allowed: an id starting with "authdb-prod-dr-"',
    );
  });

  it('refuses a target id that exists already', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'authdb-prod-dr-x' }] });
    await expect(
      control(planEvent({ mode: 'pitr', targetInstanceId: 'authdb-prod-dr-x' }), config, deps()),
    ).rejects.toMatchObject({ name: 'TargetInUse', message: expect.stringContaining('exists already') });
  });
});

describe('failover-control plan: promote', () => {
  it('plans the promotion of the available standby with its endpoint', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'authdb-prod-standby',
          DBInstanceArn: 'arn:aws:rds:ap-southeast-1:111111111111:db:authdb-prod-standby',
          DBInstanceStatus: 'available',
          DBInstanceClass: 'db.r6g.large',
          ReadReplicaSourceDBInstanceIdentifier: 'arn:aws:rds:ap-northeast-2:111111111111:db:authdb-prod',
          Endpoint: { Address: 'standby.example', Port: 5432 },
        },
      ],
    });
    expect(await control(planEvent({ mode: 'promote' }), config, deps())).toMatchObject({
      mode: 'promote',
      writerInstanceId: 'authdb-prod-standby',
      failureTime: execution.StartTime,
      standbyEndpoint: { host: 'standby.example', port: 5432 },
      maxWaitSeconds: 1800,
      dryRun: false,
    });
  });

  it('names the other modes when the standby does not exist', async () => {
    await expect(control(planEvent({ mode: 'promote' }), config, deps())).rejects.toMatchObject({
      name: 'SourceNotAvailable',
      message: expect.stringContaining('does not exist in this region'),
    });
  });

  it('refuses a standby that is no longer a replica (already promoted)', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceIdentifier: 'authdb-prod-standby', DBInstanceStatus: 'available' }] });
    await expect(control(planEvent({ mode: 'promote' }), config, deps())).rejects.toMatchObject({
      name: 'TargetInUse',
      message: expect.stringContaining('already promoted'),
    });
  });

  it('passes on an RDS error other than not-found', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(awsError('ThrottlingException'));
    await expect(control(planEvent({ mode: 'promote' }), config, deps())).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
  });
});

describe('failover-control plan: pitr', () => {
  const backups = (window?: { EarliestTime: Date; LatestTime: Date }) =>
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        {
          DBInstanceIdentifier: 'authdb-prod',
          DBInstanceAutomatedBackupsArn: 'arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-1',
          RestoreWindow: window,
        },
      ],
    });
  const window = { EarliestTime: new Date('2026-11-23T00:00:00Z'), LatestTime: new Date('2026-11-30T09:55:00Z') };

  it('plans the latest restorable time of the replicated backups into the default target', async () => {
    backups(window);
    expect(await control(planEvent({ mode: 'pitr' }), config, deps())).toMatchObject({
      mode: 'pitr',
      writerInstanceId: 'authdb-prod-dr-202611300958',
      useLatestRestorableTime: true,
      recoveryPoint: '2026-11-30T09:55:00.000Z',
      source: 'arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-1',
      instanceClass: 'db.r6g.large',
      maxWaitSeconds: 7200,
    });
  });

  it('refuses a restore time outside the replicated window, naming the window', async () => {
    backups(window);
    await expect(
      control(planEvent({ mode: 'pitr', restoreTime: '2026-11-01T00:00:00Z' }), config, deps()),
    ).rejects.toMatchObject({
      name: 'RecoveryPointOutsideWindow',
      message: expect.stringContaining('from 2026-11-23T00:00:00.000Z to 2026-11-30T09:55:00.000Z'),
    });
  });

  it('fails when the replicated backups have no restore window yet', async () => {
    backups(undefined);
    await expect(control(planEvent({ mode: 'pitr' }), config, deps())).rejects.toMatchObject({
      name: 'RecoveryPointOutsideWindow',
      message: expect.stringContaining('no restore window yet'),
    });
  });

  it('fails when no automated backups of the primary are replicated here, naming the other mode', async () => {
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [{ DBInstanceIdentifier: 'authdb-other', DBInstanceAutomatedBackupsArn: 'x' }],
    });
    await expect(control(planEvent({ mode: 'pitr' }), config, deps())).rejects.toMatchObject({
      name: 'SnapshotNotFound',
      message: expect.stringContaining('use mode "recovery-point"'),
    });
  });
});

describe('failover-control plan: recovery-point', () => {
  const points = () =>
    backupMock.on(ListRecoveryPointsByBackupVaultCommand).resolves({
      RecoveryPoints: [
        { RecoveryPointArn: OLDER, Status: 'COMPLETED', CreationDate: new Date('2026-11-29T00:00:00Z') },
        { RecoveryPointArn: POINT, Status: 'COMPLETED', CreationDate: new Date('2026-11-30T00:00:00Z') },
        { RecoveryPointArn: `${POINT}9`, Status: 'PARTIAL', CreationDate: new Date('2026-11-30T06:00:00Z') },
      ],
    });

  it('chooses the newest completed recovery point of the DR vault', async () => {
    points();
    expect(await control(planEvent({ mode: 'recovery-point' }), config, deps())).toMatchObject({
      mode: 'recovery-point',
      source: POINT,
      recoveryPoint: '2026-11-30T00:00:00.000Z',
    });
    expect(backupMock.commandCalls(ListRecoveryPointsByBackupVaultCommand)[0]!.args[0].input).toMatchObject({
      BackupVaultName: 'authdb-prod-dr-vault',
      ByResourceType: 'RDS',
    });
  });

  it('refuses a recovery point that is not a completed one of the vault', async () => {
    points();
    await expect(
      control(planEvent({ mode: 'recovery-point', recoveryPointArn: `${POINT}9` }), config, deps()),
    ).rejects.toThrow(
      /recoveryPointArn = .*; allowed: a completed RDS recovery point of the vault authdb-prod-dr-vault/,
    );
  });

  it('fails when the vault holds no completed recovery point', async () => {
    backupMock.on(ListRecoveryPointsByBackupVaultCommand).resolves({ RecoveryPoints: [] });
    await expect(control(planEvent({ mode: 'recovery-point' }), config, deps())).rejects.toMatchObject({
      name: 'SnapshotNotFound',
    });
  });
});

function plan(extra: Partial<FailoverPlan>): FailoverPlan {
  return {
    mode: 'pitr',
    dryRun: false,
    primaryInstanceId: 'authdb-prod',
    writerInstanceId: 'authdb-prod-dr-202611300958',
    failureTime: execution.StartTime,
    recoveryPoint: '2026-11-30T09:55:00.000Z',
    source: 'arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-1',
    useLatestRestorableTime: true,
    instanceClass: 'db.r6g.large',
    standbyEndpoint: null,
    maxWaitSeconds: 600,
    plannedAt: NOW.toISOString(),
    ...extra,
  };
}

describe('failover-control start', () => {
  it('promotes only the configured standby, whatever the plan names', async () => {
    rdsMock.on(PromoteReadReplicaCommand).resolves({});
    const result = await control(
      { action: 'start', plan: plan({ mode: 'promote', writerInstanceId: 'authdb-prod' }), execution },
      config,
      deps(),
    );
    expect(result).toEqual({ at: NOW.toISOString(), instanceId: 'authdb-prod-standby' });
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'authdb-prod-standby',
      BackupRetentionPeriod: 14,
    });
  });

  it('restores pitr to the latest time with the DR settings, protected and tagged', async () => {
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    await control({ action: 'start', plan: plan({}), execution }, config, deps());
    const input = rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      TargetDBInstanceIdentifier: 'authdb-prod-dr-202611300958',
      UseLatestRestorableTime: true,
      DBSubnetGroupName: 'authdb-prod-dr-subnets',
      VpcSecurityGroupIds: ['sg-0dr'],
      PubliclyAccessible: false,
      DeletionProtection: true,
      EnableIAMDatabaseAuthentication: true,
    });
    expect(input.RestoreTime).toBeUndefined();
    expect(input.Tags).toContainEqual({ Key: TAG_PURPOSE, Value: 'dr-failover' });
    expect(input.Tags).toContainEqual({ Key: TAG_EXECUTION, Value: execution.Id });
  });

  it('restores pitr to the chosen time when the plan has one', async () => {
    rdsMock.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    await control(
      {
        action: 'start',
        plan: plan({ useLatestRestorableTime: false, recoveryPoint: '2026-11-30T09:00:00.000Z' }),
        execution,
      },
      config,
      deps(),
    );
    const input = rdsMock.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0]!.args[0].input;
    expect(input.RestoreTime).toEqual(new Date('2026-11-30T09:00:00.000Z'));
    expect(input.UseLatestRestorableTime).toBeUndefined();
  });

  it('restores a recovery point from its snapshot', async () => {
    rdsMock.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
    await control(
      { action: 'start', plan: plan({ mode: 'recovery-point', source: POINT }), execution },
      config,
      deps(),
    );
    expect(rdsMock.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]!.args[0].input).toMatchObject({
      DBSnapshotIdentifier: POINT,
      DBInstanceIdentifier: 'authdb-prod-dr-202611300958',
      DeletionProtection: true,
    });
  });

  it('passes on an RDS error of the promotion', async () => {
    rdsMock.on(PromoteReadReplicaCommand).rejects(awsError('InvalidDBInstanceStateFault'));
    await expect(
      control({ action: 'start', plan: plan({ mode: 'promote' }), execution }, config, deps()),
    ).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault' });
  });
});

describe('failover-control status', () => {
  const since = '2026-11-30T09:59:00.000Z';

  it('is ready when the writer is available and no longer a replica', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceStatus: 'available', Endpoint: { Address: 'dr.example', Port: 5432 } }],
    });
    expect(await control({ action: 'status', plan: plan({}), since }, config, deps())).toMatchObject({
      status: 'available',
      ready: true,
      failed: false,
      timedOut: false,
      endpoint: { host: 'dr.example', port: 5432 },
    });
  });

  it('is not ready while the promoted standby is still a replica', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [{ DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: 'authdb-prod' }],
    });
    expect(await control({ action: 'status', plan: plan({}), since }, config, deps())).toMatchObject({ ready: false });
  });

  it('fails on a terminal state or a vanished writer, and times out after maxWaitSeconds', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'incompatible-restore' }] });
    expect(await control({ action: 'status', plan: plan({}), since }, config, deps())).toMatchObject({ failed: true });
    rdsMock.on(DescribeDBInstancesCommand).rejects(notFound());
    expect(await control({ action: 'status', plan: plan({}), since }, config, deps())).toMatchObject({
      status: 'not-found',
      failed: true,
    });
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'creating' }] });
    expect(
      await control({ action: 'status', plan: plan({}), since: '2026-11-30T09:49:59.000Z' }, config, deps()),
    ).toMatchObject({ failed: false, timedOut: true });
  });

  it('rejects a status request without a valid since', async () => {
    await expect(
      control({ action: 'status', plan: plan({}), since: 'yesterday' }, config, deps()),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('since') });
  });
});

describe('failover-control handler', () => {
  const env = {
    ENVIRONMENT: 'prod',
    PRIMARY_INSTANCE_ID: 'authdb-prod',
    STANDBY_INSTANCE_ID: 'authdb-prod-standby',
    SUBNET_GROUP: 'authdb-prod-dr-subnets',
    PARAMETER_GROUP: 'authdb-prod-dr-params',
    SECURITY_GROUP_ID: 'sg-0dr',
    DR_VAULT_NAME: 'authdb-prod-dr-vault',
    INSTANCE_CLASSES: '["db.r6g.large"]',
    BACKUP_RETENTION_DAYS: '14',
    PROMOTE_TIMEOUT_SECONDS: '1800',
    RESTORE_TIMEOUT_SECONDS: '7200',
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('plans from its configuration', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const { handler } = await import('../../lambda/failover-control/handler.js');
    await expect(
      handler({ action: 'plan', input: { mode: 'pitr', confirmSourceInstanceId: 'authdb-dev' }, execution }),
    ).rejects.toThrow('allowed: "authdb-prod" (the primary instance)');
  });

  it('fails at load naming a missing variable', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv('DR_VAULT_NAME', '');
    await expect(import('../../lambda/failover-control/handler.js')).rejects.toThrow(
      'Missing environment variable DR_VAULT_NAME',
    );
  });

  it('fails at load naming a variable that is not a whole number', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv('PROMOTE_TIMEOUT_SECONDS', '30m');
    await expect(import('../../lambda/failover-control/handler.js')).rejects.toThrow(
      'Environment variable PROMOTE_TIMEOUT_SECONDS must be a whole number, got "30m"',
    );
  });
});
