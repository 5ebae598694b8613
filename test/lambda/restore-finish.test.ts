import {
  AddTagsToResourceCommand,
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  StartDBInstanceAutomatedBackupsReplicationCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { finishRestore } from '../../lambda/restore-finish/finish.js';
import { TAG_STATUS } from '../../lambda/shared/tags.js';
import { awsError, NOW, now, restoredInstance, restorePlan, TARGET } from '../support/restore-lambdas.js';

const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: 'ap-northeast-2' });
const drRds = new RDSClient({ region: 'ap-southeast-1' });
const config = {
  drRegion: 'ap-southeast-1',
  drKeyArn: 'arn:aws:kms:ap-southeast-1:111111111111:key/dr-key',
  replicationRetentionDays: 7,
};
const deps = { rds, drRds, now };
const TARGET_ARN = restoredInstance().DBInstanceArn!;

beforeEach(() => {
  rdsMock.reset();
  rdsMock
    .on(DescribeDBInstancesCommand)
    .resolves({ DBInstances: [restoredInstance({ DBInstanceStatus: 'available' })] });
});

describe('finishRestore apply-settings', () => {
  const settings = {
    ...restorePlan().settings,
    performanceInsightsKmsKeyId: 'arn:aws:kms:ap-northeast-2:111111111111:key/pi-key',
    performanceInsightsRetentionDays: 7,
    monitoringIntervalSeconds: 60,
    monitoringRoleArn: 'arn:aws:iam::111111111111:role/rds-monitoring',
  };

  it('applies what the restore API cannot set, then starts backup replication to the DR region', async () => {
    rdsMock.on(ModifyDBInstanceCommand).resolves({});
    rdsMock.on(StartDBInstanceAutomatedBackupsReplicationCommand).resolves({});
    const result = await finishRestore({ action: 'apply-settings', plan: restorePlan({ settings }) }, config, deps);
    expect(result).toEqual({
      appliedAt: NOW.toISOString(),
      replication: { started: true, detail: 'automated backups replicated to ap-southeast-1' },
    });
    expect(rdsMock.commandCalls(ModifyDBInstanceCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: TARGET,
      ApplyImmediately: true,
      BackupRetentionPeriod: 7,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: settings.performanceInsightsKmsKeyId,
      PerformanceInsightsRetentionPeriod: 7,
      MonitoringInterval: 60,
      MonitoringRoleArn: settings.monitoringRoleArn,
    });
    expect(rdsMock.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand)[0]!.args[0].input).toEqual({
      SourceDBInstanceArn: TARGET_ARN,
      KmsKeyId: config.drKeyArn,
      BackupRetentionPeriod: 7,
    });
  });

  it('turns on neither Performance Insights nor enhanced monitoring when the source had them off', async () => {
    rdsMock.on(ModifyDBInstanceCommand).resolves({});
    const { monitoringRoleArn: _, ...withoutRole } = settings;
    await finishRestore(
      {
        action: 'apply-settings',
        plan: restorePlan({ settings: { ...withoutRole, performanceInsightsKmsKeyId: undefined } }),
      },
      config,
      deps,
    );
    expect(rdsMock.commandCalls(ModifyDBInstanceCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: TARGET,
      ApplyImmediately: true,
      BackupRetentionPeriod: 7,
    });
  });

  it('reports a replication that could not start instead of failing the restore', async () => {
    rdsMock.on(ModifyDBInstanceCommand).resolves({});
    rdsMock
      .on(StartDBInstanceAutomatedBackupsReplicationCommand)
      .rejects(awsError('KMSKeyNotAccessibleFault', 'The key is disabled'));
    const result = await finishRestore({ action: 'apply-settings', plan: restorePlan() }, config, deps);
    expect(result.replication).toEqual({ started: false, detail: 'KMSKeyNotAccessibleFault: The key is disabled' });
  });

  it('lets a refused modification through with its name, starting no replication', async () => {
    rdsMock
      .on(ModifyDBInstanceCommand)
      .rejects(awsError('InvalidDBInstanceStateFault', 'Instance is not in available state'));
    await expect(finishRestore({ action: 'apply-settings', plan: restorePlan() }, config, deps)).rejects.toMatchObject({
      name: 'InvalidDBInstanceStateFault',
    });
    expect(rdsMock.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand)).toHaveLength(0);
  });
});

describe('finishRestore mark-failed', () => {
  it('tags the restored instance with the error, never deleting it', async () => {
    rdsMock.on(AddTagsToResourceCommand).resolves({});
    const result = await finishRestore(
      {
        action: 'mark-failed',
        plan: restorePlan(),
        error: { Error: 'RestoreFailed', Cause: `${TARGET} is incompatible-restore` },
      },
      config,
      deps,
    );
    expect(result).toEqual({ tagged: true, reason: 'RestoreFailed' });
    expect(rdsMock.commandCalls(AddTagsToResourceCommand)[0]!.args[0].input).toEqual({
      ResourceName: TARGET_ARN,
      Tags: [{ Key: TAG_STATUS, Value: 'failed: RestoreFailed' }],
    });
    expect(rdsMock.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  it('says unknown when the state carries no error, and keeps the tag within 256 characters', async () => {
    rdsMock.on(AddTagsToResourceCommand).resolves({});
    expect(await finishRestore({ action: 'mark-failed', plan: restorePlan() }, config, deps)).toEqual({
      tagged: true,
      reason: 'unknown',
    });
    await finishRestore(
      { action: 'mark-failed', plan: restorePlan(), error: { Error: 'E'.repeat(400), Cause: '' } },
      config,
      deps,
    );
    const value = rdsMock.commandCalls(AddTagsToResourceCommand)[1]!.args[0].input.Tags![0]!.Value!;
    expect(value).toHaveLength(256);
  });

  it('tags nothing when the instance does not exist', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));
    expect(await finishRestore({ action: 'mark-failed', plan: restorePlan() }, config, deps)).toEqual({
      tagged: false,
      reason: 'the instance does not exist',
    });
    expect(rdsMock.commandCalls(AddTagsToResourceCommand)).toHaveLength(0);
  });
});

describe('finishRestore event validation', () => {
  it('refuses an unknown action or a plan without settings, before any RDS call', async () => {
    await expect(finishRestore({ action: 'delete', plan: restorePlan() }, config, deps)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^Invalid restore finish event: action = "delete"; allowed: /),
    });
    const { settings: _, ...withoutSettings } = restorePlan();
    await expect(
      finishRestore({ action: 'apply-settings', plan: withoutSettings }, config, deps),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('plan.settings = missing') });
    await expect(
      finishRestore(
        {
          action: 'apply-settings',
          plan: restorePlan({ settings: { ...restorePlan().settings, backupRetentionDays: -1 } }),
        },
        config,
        deps,
      ),
    ).rejects.toMatchObject({ message: expect.stringContaining('plan.settings.backupRetentionDays = -1') });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('restore-finish handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('reads the DR region, key and retention once at load and replicates with them', async () => {
    vi.stubEnv('DR_REGION', 'ap-southeast-1');
    vi.stubEnv('DR_KEY_ARN', config.drKeyArn);
    vi.stubEnv('REPLICATION_RETENTION_DAYS', '14');
    const { handler } = await import('../../lambda/restore-finish/handler.js');
    rdsMock.on(ModifyDBInstanceCommand).resolves({});
    rdsMock.on(StartDBInstanceAutomatedBackupsReplicationCommand).resolves({});
    const result = await handler({ action: 'apply-settings', plan: restorePlan() });
    expect(result).toMatchObject({ replication: { started: true } });
    expect(rdsMock.commandCalls(StartDBInstanceAutomatedBackupsReplicationCommand)[0]!.args[0].input).toMatchObject({
      KmsKeyId: config.drKeyArn,
      BackupRetentionPeriod: 14,
    });
  });

  it('fails at load naming a missing or malformed variable', async () => {
    vi.stubEnv('DR_REGION', 'ap-southeast-1');
    vi.stubEnv('DR_KEY_ARN', '');
    await expect(import('../../lambda/restore-finish/handler.js')).rejects.toThrow(
      'Missing environment variable DR_KEY_ARN',
    );
    vi.resetModules();
    vi.stubEnv('DR_KEY_ARN', config.drKeyArn);
    vi.stubEnv('REPLICATION_RETENTION_DAYS', 'a week');
    await expect(import('../../lambda/restore-finish/handler.js')).rejects.toThrow(
      'Environment variable REPLICATION_RETENTION_DAYS must be a whole number, got "a week"',
    );
  });
});
