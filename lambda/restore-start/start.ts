import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { restorePlanSchema } from '../../contract/restore-state.js';
import { parseInput, WorkflowError } from '../shared/errors.js';
import { describeInstance, tagValue } from '../shared/rds-instances.js';
import type { RestorePlan, RestoreStarted } from '../shared/restore.js';
import { requestRestore } from '../shared/restore-request.js';
import { PURPOSE_RESTORED, TAG_EXECUTION, TAG_REQUESTED_AT } from '../shared/tags.js';

export interface StartDeps {
  rds: RDSClient;
  now: () => Date;
}

const eventSchema = z.object({ plan: restorePlanSchema });

/**
 * Asks RDS for the new instance with the source's production settings (what the restore API can set; the rest is
 * applied once it is available). Idempotent: a retry finds the instance it already asked for by its tags.
 */
export async function startRestore(event: unknown, deps: StartDeps): Promise<RestoreStarted> {
  const plan: RestorePlan = parseInput(eventSchema, event, 'restore start event').plan;
  const existing = await describeInstance(deps.rds, plan.targetInstanceId);
  if (existing) return alreadyRequested(existing, plan);

  const s = plan.settings;
  const requestedAt = deps.now().toISOString();
  const restoredFrom =
    plan.mode === 'point-in-time'
      ? `${plan.sourceInstanceId}@${plan.restoreTime ?? 'latest'}`
      : plan.snapshot!.identifier;
  const raced = await requestRestore(deps.rds, {
    targetInstanceId: plan.targetInstanceId,
    source:
      plan.mode === 'point-in-time'
        ? { kind: 'point-in-time', sourceInstanceId: plan.sourceInstanceId, restoreTime: plan.restoreTime }
        : { kind: 'snapshot', snapshotIdentifier: plan.snapshot!.identifier },
    settings: {
      DBInstanceClass: plan.instanceClass,
      DBSubnetGroupName: s.subnetGroupName,
      VpcSecurityGroupIds: s.securityGroupIds,
      DBParameterGroupName: s.parameterGroupName,
      OptionGroupName: s.optionGroupName,
      StorageType: s.storageType,
      MultiAZ: s.multiAz,
      PubliclyAccessible: false,
      DeletionProtection: true,
      BackupRetentionPeriod: s.backupRetentionDays,
      EnableIAMDatabaseAuthentication: s.iamAuth,
      EnableCloudwatchLogsExports: s.logExports,
      CopyTagsToSnapshot: true,
      AutoMinorVersionUpgrade: false,
      // A new RDS-managed master secret, encrypted with the source's key: the old secret stays with the old instance.
      ManageMasterUserPassword: true,
      MasterUserSecretKmsKeyId: s.masterSecretKmsKeyId,
    },
    purpose: PURPOSE_RESTORED,
    executionArn: plan.executionArn,
    requestedAt,
    restoredFrom,
  });
  if (raced) return alreadyRequested(raced, plan);
  return { instanceId: plan.targetInstanceId, requestedAt, asOf: asOf(plan, requestedAt), alreadyRequested: false };
}

function asOf(plan: RestorePlan, requestedAt: string): string {
  return plan.restoreTime ?? plan.snapshot?.createdAt ?? requestedAt;
}

function alreadyRequested(instance: DBInstance, plan: RestorePlan): RestoreStarted {
  if (tagValue(instance, TAG_EXECUTION) !== plan.executionArn) {
    throw new WorkflowError(
      'TargetInUse',
      `Instance ${plan.targetInstanceId} appeared while this restore ran and is not tagged with this execution; ` +
        'allowed: a new identifier',
    );
  }
  const requestedAt = tagValue(instance, TAG_REQUESTED_AT) ?? plan.startedAt;
  return { instanceId: plan.targetInstanceId, requestedAt, asOf: asOf(plan, requestedAt), alreadyRequested: true };
}
