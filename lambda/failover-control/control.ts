import {
  type BackupClient,
  paginateListRecoveryPointsByBackupVault,
  type RecoveryPointByBackupVault,
} from '@aws-sdk/client-backup';
import {
  type DBInstance,
  type DBInstanceAutomatedBackup,
  DescribeDBInstanceAutomatedBackupsCommand,
  PromoteReadReplicaCommand,
  type RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import { z } from 'zod';
import { type FailoverInput, failoverInputSchema, failoverPlanSchema } from '../../contract/failover-input.js';
import { parseInput, shown, WorkflowError } from '../shared/errors.js';
import { describeInstance, TERMINAL_FAILURE_STATES } from '../shared/rds-instances.js';
import { requestRestore } from '../shared/restore-request.js';
import { TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT, TAG_RESTORED_FROM } from '../shared/tags.js';

/** Tag value of instances the failover creates (modes pitr and recovery-point). */
export const PURPOSE_FAILOVER = 'dr-failover';

/** Everything this function knows from its own configuration (never from the event). */
export interface ControlConfig {
  environment: string;
  primaryInstanceId: string;
  standbyInstanceId: string;
  subnetGroup: string;
  parameterGroup: string;
  securityGroupId: string;
  drVaultName: string;
  instanceClasses: string[];
  backupRetentionDays: number;
  promoteTimeoutSeconds: number;
  restoreTimeoutSeconds: number;
}

export interface ControlDeps {
  rds: RDSClient;
  backup: BackupClient;
  now: () => Date;
}

const iso = z.iso.datetime({
  offset: true,
  message: 'allowed: an ISO-8601 time with offset, e.g. 2026-05-01T03:00:00Z',
});

export { type FailoverInput, failoverInputSchema };

export interface FailoverPlan {
  mode: FailoverInput['mode'];
  dryRun: boolean;
  primaryInstanceId: string;
  /** The instance that becomes the writer. */
  writerInstanceId: string;
  failureTime: string;
  /** What the new writer holds up to (pitr: the restore time; recovery-point: its creation; promote: measured). */
  recoveryPoint: string | null;
  source: string;
  /** Mode pitr: restore to the latest restorable time at the moment RDS starts the restore. */
  useLatestRestorableTime: boolean;
  instanceClass: string | null;
  /** Mode promote: the standby's endpoint, where the last replayed commit is read before promoting. */
  standbyEndpoint: { host: string; port: number } | null;
  /** How long the workflow waits for the writer to become available. */
  maxWaitSeconds: number;
  plannedAt: string;
}

const executionSchema = z.object({ Id: z.string(), Name: z.string(), StartTime: z.string() }).loose();
const eventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('plan'), input: z.unknown(), execution: executionSchema }),
  z.object({
    action: z.literal('start'),
    plan: failoverPlanSchema,
    execution: executionSchema,
  }),
  z.object({
    action: z.literal('status'),
    plan: failoverPlanSchema,
    since: iso,
  }),
]);

export interface WriterStatus {
  instanceId: string;
  status: string;
  /** Available and writable (promotion finished: no longer a replica). */
  ready: boolean;
  failed: boolean;
  timedOut: boolean;
  endpoint: { host: string; port: number } | null;
  at: string;
}

function invalid(field: string, value: unknown, allowed: string): WorkflowError {
  return new WorkflowError('InvalidInput', `Invalid failover input: ${field} = ${shown(value)}; allowed: ${allowed}`);
}

/** Instances the failover creates are named `authdb-ENV-dr-…`. */
export function failoverTargetPrefix(environment: string): string {
  return `authdb-${environment}-dr-`;
}

/** `authdb-ENV-dr-YYYYMMDDHHMM` from the execution's start. */
export function defaultTargetId(environment: string, startTime: string): string {
  return `${failoverTargetPrefix(environment)}${startTime.replace(/[^0-9]/g, '').slice(0, 12)}`;
}

export async function control(event: unknown, config: ControlConfig, deps: ControlDeps): Promise<unknown> {
  const e = parseInput(eventSchema, event, 'failover control event');
  if (e.action === 'plan') return plan(e.input, e.execution, config, deps);
  if (e.action === 'start') return start(e.plan, e.execution, config, deps);
  return status(e.plan, e.since, deps);
}

async function plan(
  raw: unknown,
  execution: z.infer<typeof executionSchema>,
  config: ControlConfig,
  deps: ControlDeps,
): Promise<FailoverPlan> {
  const input = parseInput(failoverInputSchema, raw, 'failover input');
  // Every mode makes a new writer for production: the operator names the database they are replacing.
  if (input.confirmSourceInstanceId !== config.primaryInstanceId) {
    throw invalid(
      'confirmSourceInstanceId',
      input.confirmSourceInstanceId,
      `"${config.primaryInstanceId}" (the primary instance)`,
    );
  }
  const now = deps.now();
  const failureTime = input.failureTime ?? execution.StartTime;
  if (Date.parse(failureTime) > now.getTime()) {
    throw invalid('failureTime', input.failureTime, `a time not in the future (now ${now.toISOString()})`);
  }
  const base = {
    standbyEndpoint: null,
    useLatestRestorableTime: false,
    dryRun: input.dryRun,
    primaryInstanceId: config.primaryInstanceId,
    failureTime,
    plannedAt: now.toISOString(),
  };
  const unused = (field: keyof FailoverInput, modes: string) => {
    if (input[field] !== undefined) throw invalid(field, input[field], `only with mode ${modes}`);
  };
  if (input.mode === 'promote') {
    for (const f of ['restoreTime', 'recoveryPointArn', 'targetInstanceId', 'instanceClass'] as const)
      unused(f, 'pitr or recovery-point');
    const standby = await describeInstance(deps.rds, config.standbyInstanceId);
    if (!standby) {
      throw new WorkflowError(
        'SourceNotAvailable',
        `The standby ${config.standbyInstanceId} does not exist in this region; use mode "pitr" or "recovery-point"`,
      );
    }
    if (!standby.ReadReplicaSourceDBInstanceIdentifier) {
      throw new WorkflowError(
        'TargetInUse',
        `The standby ${config.standbyInstanceId} is no longer a replica (already promoted?): it is the writer now`,
      );
    }
    if (standby.DBInstanceStatus !== 'available') {
      throw new WorkflowError(
        'SourceNotAvailable',
        `The standby ${config.standbyInstanceId} is ${standby.DBInstanceStatus}, not available; use mode "pitr" or "recovery-point"`,
      );
    }
    const host = standby.Endpoint?.Address;
    const port = standby.Endpoint?.Port;
    return {
      ...base,
      standbyEndpoint: host && port ? { host, port } : null,
      mode: 'promote',
      writerInstanceId: config.standbyInstanceId,
      recoveryPoint: null,
      source: standby.DBInstanceArn ?? config.standbyInstanceId,
      instanceClass: standby.DBInstanceClass ?? null,
      maxWaitSeconds: config.promoteTimeoutSeconds,
    };
  }
  const instanceClass = input.instanceClass ?? config.instanceClasses[0]!;
  if (!config.instanceClasses.includes(instanceClass)) {
    throw invalid('instanceClass', input.instanceClass, `one of ${config.instanceClasses.join(', ')}`);
  }
  const writerInstanceId = input.targetInstanceId ?? defaultTargetId(config.environment, execution.StartTime);
  const prefix = failoverTargetPrefix(config.environment);
  if (!writerInstanceId.startsWith(prefix) || writerInstanceId.length > 63) {
    // IAM lets the failover create instances with this prefix only.
    throw invalid('targetInstanceId', writerInstanceId, `an id starting with "${prefix}", at most 63 characters`);
  }
  if (await describeInstance(deps.rds, writerInstanceId)) {
    throw new WorkflowError(
      'TargetInUse',
      `Invalid failover input: targetInstanceId = "${writerInstanceId}" exists already in this region; allowed: a free instance id`,
    );
  }
  const common = { ...base, writerInstanceId, instanceClass, maxWaitSeconds: config.restoreTimeoutSeconds };
  if (input.mode === 'pitr') {
    unused('recoveryPointArn', 'recovery-point');
    const backup = await replicatedBackup(config, deps);
    const earliest = backup.RestoreWindow?.EarliestTime;
    const latest = backup.RestoreWindow?.LatestTime;
    if (!earliest || !latest) {
      throw new WorkflowError(
        'RecoveryPointOutsideWindow',
        `The replicated backups of ${config.primaryInstanceId} have no restore window yet`,
      );
    }
    const wanted = input.restoreTime ?? 'latest';
    if (wanted !== 'latest' && (Date.parse(wanted) < earliest.getTime() || Date.parse(wanted) > latest.getTime())) {
      throw new WorkflowError(
        'RecoveryPointOutsideWindow',
        `Invalid failover input: restoreTime = "${wanted}"; allowed: "latest" or a time from ${earliest.toISOString()} to ${latest.toISOString()} (the replicated restore window)`,
      );
    }
    return {
      ...common,
      mode: 'pitr',
      useLatestRestorableTime: wanted === 'latest',
      recoveryPoint: wanted === 'latest' ? latest.toISOString() : wanted,
      source: backup.DBInstanceAutomatedBackupsArn!,
    };
  }
  unused('restoreTime', 'pitr');
  const point = await recoveryPoint(input.recoveryPointArn, config, deps);
  return {
    ...common,
    mode: 'recovery-point',
    recoveryPoint: point.CreationDate!.toISOString(),
    source: point.RecoveryPointArn!,
  };
}

/** The primary's automated backups replicated into this region. */
async function replicatedBackup(config: ControlConfig, deps: ControlDeps): Promise<DBInstanceAutomatedBackup> {
  const out = await deps.rds.send(
    new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: config.primaryInstanceId }),
  );
  // Matched by name: this function holds no primary-region value (the region may be gone).
  const found = (out.DBInstanceAutomatedBackups ?? []).find(
    (b) => b.DBInstanceIdentifier === config.primaryInstanceId && b.DBInstanceAutomatedBackupsArn,
  );
  if (!found) {
    throw new WorkflowError(
      'SnapshotNotFound',
      `No automated backups of ${config.primaryInstanceId} are replicated into this region; use mode "recovery-point"`,
    );
  }
  return found;
}

/** The chosen recovery point (it must be a completed RDS point of the DR vault), or the newest. */
async function recoveryPoint(
  arn: string | undefined,
  config: ControlConfig,
  deps: ControlDeps,
): Promise<RecoveryPointByBackupVault> {
  const points: RecoveryPointByBackupVault[] = [];
  for await (const page of paginateListRecoveryPointsByBackupVault(
    { client: deps.backup },
    { BackupVaultName: config.drVaultName, ByResourceType: 'RDS' },
  )) {
    points.push(
      ...(page.RecoveryPoints ?? []).filter((p) => p.Status === 'COMPLETED' && p.CreationDate && p.RecoveryPointArn),
    );
  }
  if (arn !== undefined) {
    const chosen = points.find((p) => p.RecoveryPointArn === arn);
    if (!chosen)
      throw invalid('recoveryPointArn', arn, `a completed RDS recovery point of the vault ${config.drVaultName}`);
    return chosen;
  }
  const newest = points.sort((a, b) => b.CreationDate!.getTime() - a.CreationDate!.getTime())[0];
  if (!newest)
    throw new WorkflowError(
      'SnapshotNotFound',
      `The vault ${config.drVaultName} holds no completed RDS recovery point`,
    );
  return newest;
}

async function start(
  plan: FailoverPlan,
  execution: z.infer<typeof executionSchema>,
  config: ControlConfig,
  deps: ControlDeps,
) {
  const at = deps.now().toISOString();
  if (plan.mode === 'promote') {
    // The id comes from this function's configuration: an event cannot make it promote anything else.
    await deps.rds.send(
      new PromoteReadReplicaCommand({
        DBInstanceIdentifier: config.standbyInstanceId,
        BackupRetentionPeriod: config.backupRetentionDays,
      }),
    );
    return { at, instanceId: config.standbyInstanceId };
  }
  const settings = {
    DBInstanceClass: plan.instanceClass ?? config.instanceClasses[0]!,
    DBSubnetGroupName: config.subnetGroup,
    VpcSecurityGroupIds: [config.securityGroupId],
    DBParameterGroupName: config.parameterGroup,
    EnableIAMDatabaseAuthentication: true,
    PubliclyAccessible: false,
    MultiAZ: false,
    CopyTagsToSnapshot: true,
    DeletionProtection: true,
    EnableCloudwatchLogsExports: ['postgresql', 'upgrade', 'iam-db-auth-error'],
  };
  const tags = [
    { Key: TAG_PURPOSE, Value: PURPOSE_FAILOVER },
    { Key: TAG_EXECUTION, Value: execution.Id },
    { Key: TAG_REQUESTED_AT, Value: at },
    { Key: TAG_RESTORED_FROM, Value: plan.source.slice(0, 256) },
  ];
  if (plan.mode === 'pitr') {
    await deps.rds.send(
      new RestoreDBInstanceToPointInTimeCommand({
        ...settings,
        Tags: tags,
        SourceDBInstanceAutomatedBackupsArn: plan.source,
        TargetDBInstanceIdentifier: plan.writerInstanceId,
        ...(plan.useLatestRestorableTime || !plan.recoveryPoint
          ? { UseLatestRestorableTime: true }
          : { RestoreTime: new Date(plan.recoveryPoint) }),
      }),
    );
  } else {
    await requestRestore(deps.rds, {
      targetInstanceId: plan.writerInstanceId,
      source: { kind: 'snapshot', snapshotIdentifier: plan.source },
      settings,
      purpose: PURPOSE_FAILOVER,
      executionArn: execution.Id,
      requestedAt: at,
      restoredFrom: plan.source,
    });
  }
  return { at, instanceId: plan.writerInstanceId };
}

async function status(plan: FailoverPlan, since: string, deps: ControlDeps): Promise<WriterStatus> {
  const now = deps.now();
  const instance: DBInstance | undefined = await describeInstance(deps.rds, plan.writerInstanceId);
  const s = instance?.DBInstanceStatus ?? 'not-found';
  return {
    instanceId: plan.writerInstanceId,
    status: s,
    ready: s === 'available' && !instance?.ReadReplicaSourceDBInstanceIdentifier,
    failed: TERMINAL_FAILURE_STATES.has(s) || instance === undefined,
    timedOut: now.getTime() - Date.parse(since) > plan.maxWaitSeconds * 1000,
    endpoint:
      instance?.Endpoint?.Address && instance.Endpoint.Port
        ? { host: instance.Endpoint.Address, port: instance.Endpoint.Port }
        : null,
    at: now.toISOString(),
  };
}
