import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { drillPlanSchema, sourceCountsSchema } from '../../contract/drill-state.js';
import { parseInput, WorkflowError } from '../../contract/errors.js';
import { PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT } from '../../contract/tags.js';
import type { DrillPlan, RestoreRequest } from '../shared/drill.js';
import { describeInstance, tagValue } from '../shared/rds-instances.js';
import { type RestoreSettings, requestRestore } from '../shared/restore-request.js';

export interface DrillRestoreConfig {
  instanceClass: string;
  subnetGroupName: string;
  securityGroupId: string;
  parameterGroupName: string;
}

/** Where both drills put their scratch instance, as their environment says (contract/env.ts, scratch restore). */
export function drillRestoreConfig(env: {
  DRILL_INSTANCE_CLASS: string;
  DRILL_SUBNET_GROUP: string;
  DRILL_SECURITY_GROUP_ID: string;
  PARAMETER_GROUP: string;
}): DrillRestoreConfig {
  return {
    instanceClass: env.DRILL_INSTANCE_CLASS,
    subnetGroupName: env.DRILL_SUBNET_GROUP,
    securityGroupId: env.DRILL_SECURITY_GROUP_ID,
    parameterGroupName: env.PARAMETER_GROUP,
  };
}

export interface DrillRestoreDeps {
  rds: RDSClient;
  now: () => Date;
}

const eventSchema = z.object({
  plan: drillPlanSchema,
  sourceCounts: sourceCountsSchema.pick({ countedAt: true }).nullable().optional(),
});

/**
 * Asks RDS for the scratch instance: point-in-time restore of the source to C, or a restore of the planned snapshot.
 * Idempotent: a retried task finds the instance it already asked for (by its derived identifier and tags).
 */
export async function requestDrillRestore(
  event: unknown,
  config: DrillRestoreConfig,
  deps: DrillRestoreDeps,
): Promise<RestoreRequest> {
  const parsed = parseInput(eventSchema, event, 'restore event');
  const { plan } = parsed;
  const restoreTime = plan.mode === 'point-in-time' ? parsed.sourceCounts?.countedAt : undefined;
  if (plan.mode === 'point-in-time' && !restoreTime) {
    throw new WorkflowError(
      'InvalidInput',
      'A point-in-time drill needs the source counts (their instant is the restore time)',
    );
  }

  const existing = await describeInstance(deps.rds, plan.scratchInstanceId);
  if (existing) return alreadyRequested(existing, plan, restoreTime);

  const requestedAt = deps.now().toISOString();
  const restoredFrom =
    plan.mode === 'point-in-time' ? `${plan.sourceInstanceId}@${restoreTime}` : plan.snapshot!.identifier;
  const raced = await requestRestore(deps.rds, {
    targetInstanceId: plan.scratchInstanceId,
    source:
      plan.mode === 'point-in-time'
        ? { kind: 'point-in-time', sourceInstanceId: plan.sourceInstanceId, restoreTime }
        : { kind: 'snapshot', snapshotIdentifier: plan.snapshot!.identifier },
    settings: scratchSettings(config),
    purpose: PURPOSE_DRILL,
    executionArn: plan.executionArn,
    requestedAt,
    restoredFrom,
  });
  if (raced) return alreadyRequested(raced, plan, restoreTime);
  return { instanceId: plan.scratchInstanceId, requestedAt, restoreTime, alreadyRequested: false };
}

/** A scratch instance: small, single-AZ, private, deletable, no backups, IAM database authentication. */
export function scratchSettings(config: DrillRestoreConfig): RestoreSettings {
  return {
    DBInstanceClass: config.instanceClass,
    DBSubnetGroupName: config.subnetGroupName,
    VpcSecurityGroupIds: [config.securityGroupId],
    DBParameterGroupName: config.parameterGroupName,
    MultiAZ: false,
    PubliclyAccessible: false,
    DeletionProtection: false,
    BackupRetentionPeriod: 0,
    EnableIAMDatabaseAuthentication: true,
    AutoMinorVersionUpgrade: false,
    CopyTagsToSnapshot: false,
  };
}

/** The instance a retried task finds: only its own (tagged with this execution) counts as already requested. */
export function alreadyRequested(
  instance: DBInstance,
  plan: Pick<DrillPlan, 'scratchInstanceId' | 'executionArn' | 'startedAt'>,
  restoreTime: string | undefined,
): RestoreRequest {
  if (tagValue(instance, TAG_EXECUTION) !== plan.executionArn || tagValue(instance, TAG_PURPOSE) !== PURPOSE_DRILL) {
    throw new WorkflowError(
      'ScratchInstanceNotOwned',
      `Instance ${plan.scratchInstanceId} exists but belongs to ${tagValue(instance, TAG_EXECUTION) ?? 'no drill'}; ` +
        `allowed: only an instance tagged with this execution (${plan.executionArn})`,
    );
  }
  const requestedAt =
    tagValue(instance, TAG_REQUESTED_AT) ?? instance.InstanceCreateTime?.toISOString() ?? plan.startedAt;
  return { instanceId: plan.scratchInstanceId, requestedAt, restoreTime, alreadyRequested: true };
}
