import { type DBInstance, DescribeDBInstanceAutomatedBackupsCommand, type RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { proofPurpose } from '../../contract/identity-proof.js';
import { executionContextSchema } from '../shared/drill.js';
import { parseInput, shown, WorkflowError } from '../shared/errors.js';
import { type IdentityCheck, verifyIdentityProof } from '../shared/identity-proof.js';
import { describeInstance } from '../shared/rds-instances.js';
import type { RestorePlan, SourceSettings } from '../shared/restore.js';
import { preRestoreIdentifier, restoreInputSchema } from '../shared/restore-input.js';
import { resolveSnapshot } from '../shared/snapshots.js';

export interface ValidateConfig {
  environment: string;
  /** The one source this workflow restores (and whose rename its cutover role may perform). */
  sourceInstanceId: string;
  allowedInstanceClasses: string[];
  /** A cutover to an older recovery point needs `cutover.acceptDataLossHours` of at least the point's age. */
  dataLossAcknowledgementAfterHours: number;
  /** A cutover waits for a second person's approval: the starter must prove who they are. */
  approvalRequired: boolean;
  /** Where identity proofs are checked (the environment's account and region). */
  identity: Omit<IdentityCheck, 'fetch' | 'now'>;
}

export interface ValidateDeps {
  rds: RDSClient;
  now: () => Date;
  /** Sends identity proofs to STS. @default the global fetch */
  fetch?: typeof fetch;
}

/** partition, region and account of an ARN. */
const ARN = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):/;

/**
 * A snapshot or recovery point ARN must be of this partition, region and account (those of the execution): IAM
 * would refuse another one too, but with an AccessDenied an operator cannot read in the middle of an incident.
 */
function assertLocalArn(field: string, value: string | undefined, executionArn: string): void {
  if (value === undefined || !value.startsWith('arn:')) return;
  const [, partition, , region, account] = ARN.exec(executionArn) ?? [];
  const [, p, service, r, a] = ARN.exec(value) ?? [];
  const wrong = [
    service !== 'rds' && `service ${service ?? '?'}`,
    p !== partition && `partition ${p ?? '?'}`,
    r !== region && `region ${r || '?'}`,
    a !== account && `account ${a || '?'}`,
  ].filter(Boolean);
  if (wrong.length > 0) {
    throw new WorkflowError(
      'InvalidInput',
      `Invalid restore input: ${field} = ${shown(value)} is of ${wrong.join(', ')}; allowed: an RDS snapshot of ` +
        `partition ${partition}, region ${region}, account ${account} (this environment; restore another region's ` +
        'copy from that region)',
    );
  }
}

const eventSchema = z.object({ input: z.unknown(), execution: executionContextSchema });

/**
 * Validates a restore request completely before anything is created: the input's form, then against AWS (the source,
 * the restorable window, the target's name, the snapshot or recovery point). Every failure names the field, the value
 * and what is allowed.
 */
export async function validateRestore(
  event: unknown,
  config: ValidateConfig,
  deps: ValidateDeps,
): Promise<RestorePlan> {
  const { input: raw, execution } = parseInput(eventSchema, event, 'restore event');
  const input = parseInput(restoreInputSchema, raw, 'restore input');
  if (input.sourceInstanceId !== config.sourceInstanceId) {
    throw new WorkflowError(
      'InvalidInput',
      `Invalid restore input: sourceInstanceId = ${shown(input.sourceInstanceId)}; allowed: ${config.sourceInstanceId} ` +
        `(this environment's database)`,
    );
  }
  assertLocalArn('recoveryPointArn', input.recoveryPointArn, execution.Id);
  assertLocalArn('snapshotIdentifier', input.snapshotIdentifier, execution.Id);
  const source = await describeInstance(deps.rds, input.sourceInstanceId);
  if (!source) {
    throw new WorkflowError(
      'SourceNotAvailable',
      `Source instance ${input.sourceInstanceId} does not exist; restore it from its retained automated backups ` +
        '(see the runbook: instance deleted by accident)',
    );
  }
  const instanceClass = input.instanceClass ?? source.DBInstanceClass!;
  const allowed = [...new Set([source.DBInstanceClass!, ...config.allowedInstanceClasses])];
  if (!allowed.includes(instanceClass)) {
    throw new WorkflowError(
      'InvalidInput',
      `Invalid restore input: instanceClass = ${shown(instanceClass)}; allowed: ${allowed.join(', ')}`,
    );
  }
  if (await describeInstance(deps.rds, input.targetInstanceId)) {
    throw new WorkflowError(
      'TargetInUse',
      `Invalid restore input: targetInstanceId = ${shown(input.targetInstanceId)} is already in use; allowed: a new identifier`,
    );
  }

  const plan: RestorePlan = {
    environment: config.environment,
    mode: input.snapshotIdentifier ? 'snapshot' : input.recoveryPointArn ? 'recovery-point' : 'point-in-time',
    sourceInstanceId: input.sourceInstanceId,
    targetInstanceId: input.targetInstanceId,
    instanceClass,
    useLatestRestorableTime: input.restoreTime === 'latest',
    source:
      source.DBInstanceStatus === 'available' && source.Endpoint?.Address && source.Endpoint.Port
        ? { host: source.Endpoint.Address, port: source.Endpoint.Port }
        : null,
    settings: settingsOf(source),
    cutover: input.cutover !== undefined,
    preRestoreInstanceId: preRestoreIdentifier(input.sourceInstanceId, execution.StartTime),
    executionArn: execution.Id,
    executionName: execution.Name,
    startedAt: execution.StartTime,
  };
  if (plan.mode === 'point-in-time' && input.restoreTime !== 'latest') {
    plan.restoreTime = new Date(input.restoreTime!).toISOString();
    await assertInRestorableWindow(deps.rds, source, plan.restoreTime);
  }
  if (plan.mode !== 'point-in-time') {
    plan.snapshot = await resolveSnapshot(deps.rds, input.sourceInstanceId, {
      latest: false,
      identifier: input.snapshotIdentifier ?? input.recoveryPointArn,
    });
  }
  if (plan.cutover) {
    plan.approvalRequired = config.approvalRequired;
    const proof = input.cutover?.identityProof;
    if (proof === undefined && config.approvalRequired) {
      throw new WorkflowError(
        'InvalidInput',
        `Invalid restore input: cutover.identityProof = missing; allowed: a proof of who starts the cutover (a second ` +
          `person approves every cutover in ${config.environment}: start it with authdb-dr restore start, which adds ` +
          'the proof)',
      );
    }
    // Checked now: the proof expires within minutes, and the approval is compared with the identity it names.
    if (proof !== undefined) {
      const starter = await verifyIdentityProof(proof, proofPurpose('start', execution.Id), {
        ...config.identity,
        fetch: deps.fetch ?? fetch,
        now: deps.now,
      });
      plan.startedBy = starter.arn;
    }
    const pointInTime = plan.restoreTime ?? plan.snapshot?.createdAt ?? source.LatestRestorableTime?.toISOString();
    assertDataLossAcknowledged(pointInTime, input.cutover?.acceptDataLossHours, config, deps.now());
  }
  return plan;
}

/**
 * A cutover discards every write the old instance took after the recovery point: beyond the configured age the
 * input must say, in hours, how much the operator accepts to lose (at least the point's age, rounded up to 0.1 h).
 */
function assertDataLossAcknowledged(
  pointInTime: string | undefined,
  accepted: number | undefined,
  config: ValidateConfig,
  now: Date,
): void {
  if (pointInTime === undefined) return;
  const ageHours = Math.ceil((now.getTime() - Date.parse(pointInTime)) / 360_000) / 10;
  if (ageHours <= config.dataLossAcknowledgementAfterHours) return;
  if (accepted !== undefined && accepted >= ageHours) return;
  throw new WorkflowError(
    'DataLossNotAcknowledged',
    `Invalid restore input: cutover.acceptDataLossHours = ${shown(accepted)}; allowed: at least ${ageHours} ` +
      `(the recovery point ${pointInTime} is ${ageHours} hours old, more than the ` +
      `${config.dataLossAcknowledgementAfterHours} hours ${config.environment} cuts over to without acknowledgement; ` +
      'the cutover discards every write made since)',
  );
}

async function assertInRestorableWindow(rds: RDSClient, source: DBInstance, time: string): Promise<void> {
  // By the instance's resource id: retained automated backups of an earlier instance of the same name are listed
  // under that name too, with a window that is not this instance's.
  const out = await rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DbiResourceId: source.DbiResourceId }));
  const window = out.DBInstanceAutomatedBackups?.find(
    (b) => source.DbiResourceId !== undefined && b.DbiResourceId === source.DbiResourceId,
  )?.RestoreWindow;
  const earliest = window?.EarliestTime;
  const latest = source.LatestRestorableTime ?? window?.LatestTime;
  if (!earliest || !latest) {
    throw new WorkflowError(
      'RecoveryPointOutsideWindow',
      `Source ${source.DBInstanceIdentifier} has no restorable window: are automated backups enabled?`,
    );
  }
  const t = Date.parse(time);
  if (t < earliest.getTime() || t > latest.getTime()) {
    throw new WorkflowError(
      'RecoveryPointOutsideWindow',
      `Invalid restore input: restoreTime = ${shown(time)} is outside the restorable window; allowed: from ` +
        `${earliest.toISOString()} to ${latest.toISOString()} (or "latest")`,
    );
  }
}

function settingsOf(source: DBInstance): SourceSettings {
  return {
    instanceClass: source.DBInstanceClass!,
    multiAz: source.MultiAZ ?? false,
    subnetGroupName: source.DBSubnetGroup?.DBSubnetGroupName ?? '',
    securityGroupIds: (source.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).filter(Boolean),
    parameterGroupName: source.DBParameterGroups?.[0]?.DBParameterGroupName ?? '',
    optionGroupName: source.OptionGroupMemberships?.[0]?.OptionGroupName,
    storageType: source.StorageType,
    backupRetentionDays: source.BackupRetentionPeriod ?? 7,
    iamAuth: source.IAMDatabaseAuthenticationEnabled ?? true,
    logExports: source.EnabledCloudwatchLogsExports ?? [],
    performanceInsightsKmsKeyId: source.PerformanceInsightsEnabled ? source.PerformanceInsightsKMSKeyId : undefined,
    performanceInsightsRetentionDays: source.PerformanceInsightsEnabled
      ? source.PerformanceInsightsRetentionPeriod
      : undefined,
    monitoringIntervalSeconds: source.MonitoringInterval || undefined,
    monitoringRoleArn: source.MonitoringRoleArn,
    masterSecretKmsKeyId: source.MasterUserSecret?.KmsKeyId,
  };
}
