import {
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  type RDSClient,
  RebootDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { z } from 'zod';
import { parseInput } from '../../contract/errors.js';
import { proofPurpose } from '../../contract/identity-proof.js';
import { type IdentityCheck, verifyIdentityProof } from '../shared/identity-proof.js';
import { describeInstance, TERMINAL_FAILURE_STATES } from '../shared/rds-instances.js';
import { preRestoreIdentifier } from '../shared/restore-input.js';
import { RewindError, recoveryTargetSettings, rewindInputSchema } from '../shared/rewind.js';

/** Everything comes from the function's own configuration: the event never names an instance or a group. */
export interface ControlConfig {
  environment: string;
  replicaInstanceId: string;
  parameterGroupName: string;
  /** Automated backups the promoted instance gets (PromoteReadReplica's BackupRetentionPeriod). */
  backupRetentionDays: number;
  rebootTimeoutSeconds: number;
  replayTimeoutSeconds: number;
  promoteTimeoutSeconds: number;
  /** The production instance a confirmed cutover renames the promoted replica into. */
  productionInstanceId: string;
  /** Two-person rule (cutover.requireApproval): a confirmed cutover must prove who starts it. */
  approvalRequired: boolean;
  /** Where identity proofs are checked (the environment's account and region). */
  identity: Omit<IdentityCheck, 'fetch' | 'now'>;
}

export interface ControlDeps {
  rds: RDSClient;
  now: () => Date;
  /** Sends identity proofs to STS. @default the global fetch */
  fetch?: typeof fetch;
}

const since = z.iso.datetime();
const event = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('plan'),
    input: z.unknown(),
    execution: z.object({ Id: z.string(), Name: z.string(), StartTime: since }).passthrough(),
  }),
  z.object({ action: z.literal('setTarget'), incidentTime: z.string() }),
  z.object({ action: z.literal('parameters'), since }),
  z.object({ action: z.literal('reboot') }),
  z.object({ action: z.literal('promote') }),
  z.object({ action: z.literal('status'), expect: z.enum(['replica', 'promoted']), since }),
  z.object({ action: z.literal('replayDeadline'), since }),
]);

/**
 * The plan. With `cutover` it also carries what the restore's cutover function checks against the execution: the
 * production instance, the promoted replica (its target), the name production is renamed aside to, and this
 * execution.
 */
export interface RewindPlan {
  incidentTime: string;
  dryRun: boolean;
  environment: string;
  replicaInstanceId: string;
  startedAt: string;
  cutover: boolean;
  sourceInstanceId: string;
  targetInstanceId: string;
  preRestoreInstanceId: string;
  executionArn: string;
  executionName: string;
  /** With a cutover: whether a second person must approve it, and who started it (from the identity proof). */
  approvalRequired?: boolean;
  startedBy?: string;
}

/** One step of the rewind that talks to the RDS API (parameter group, reboot, promotion, status). */
export async function control(raw: unknown, config: ControlConfig, deps: ControlDeps): Promise<unknown> {
  const e = parseInput(event, raw, 'rewind control event');
  const id = config.replicaInstanceId;
  switch (e.action) {
    case 'plan':
      return plan(e.input, e.execution, config, deps);
    case 'setTarget': {
      const settings = recoveryTargetSettings(e.incidentTime);
      // All at the next reboot, together: the replica stays paused (and its delay in force) until then.
      await deps.rds.send(
        new ModifyDBParameterGroupCommand({
          DBParameterGroupName: config.parameterGroupName,
          Parameters: Object.entries(settings).map(([ParameterName, ParameterValue]) => ({
            ParameterName,
            ParameterValue,
            ApplyMethod: 'pending-reboot',
          })),
        }),
      );
      return { settings, at: deps.now().toISOString() };
    }
    case 'parameters': {
      const instance = await mustDescribe(deps.rds, id);
      const group = instance.DBParameterGroups?.find((g) => g.DBParameterGroupName === config.parameterGroupName);
      if (!group) {
        throw new RewindError(
          'ReplicaFailed',
          `${id} no longer uses the parameter group ${config.parameterGroupName}; the rewind cannot set its recovery target`,
        );
      }
      const pendingReboot = group.ParameterApplyStatus === 'pending-reboot';
      const elapsed = (deps.now().getTime() - Date.parse(e.since)) / 1000;
      if (!pendingReboot && elapsed > config.rebootTimeoutSeconds) {
        throw new RewindError(
          'RebootTimedOut',
          `The recovery target has not reached ${id} ${Math.round(elapsed)} s after it was set (parameter group ` +
            `${config.parameterGroupName} is ${group.ParameterApplyStatus}); replay stays paused`,
        );
      }
      return { pendingReboot, status: group.ParameterApplyStatus };
    }
    case 'reboot':
      await deps.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: id }));
      return { at: deps.now().toISOString() };
    case 'promote':
      await deps.rds.send(
        new PromoteReadReplicaCommand({ DBInstanceIdentifier: id, BackupRetentionPeriod: config.backupRetentionDays }),
      );
      return { at: deps.now().toISOString() };
    case 'status': {
      const instance = await mustDescribe(deps.rds, id);
      const status = instance.DBInstanceStatus ?? 'unknown';
      if (TERMINAL_FAILURE_STATES.has(status)) {
        throw new RewindError(
          'ReplicaFailed',
          `${id} is ${status}; it cannot be promoted. Use the point-in-time restore`,
        );
      }
      const isReplica = instance.ReadReplicaSourceDBInstanceIdentifier !== undefined;
      const ready = status === 'available' && isReplica === (e.expect === 'replica');
      const elapsed = (deps.now().getTime() - Date.parse(e.since)) / 1000;
      const timeout = e.expect === 'replica' ? config.rebootTimeoutSeconds : config.promoteTimeoutSeconds;
      if (!ready && elapsed > timeout) {
        throw new RewindError(
          e.expect === 'replica' ? 'RebootTimedOut' : 'PromotionTimedOut',
          `${id} is still ${status}${isReplica ? ' (a replica)' : ''} ${Math.round(elapsed)} s after the ` +
            `${e.expect === 'replica' ? 'reboot' : 'promotion'} was requested (limit ${timeout} s); see the RDS events of ${id}`,
        );
      }
      return { ready, status, isReplica, at: deps.now().toISOString() };
    }
    case 'replayDeadline': {
      const elapsed = (deps.now().getTime() - Date.parse(e.since)) / 1000;
      if (elapsed > config.replayTimeoutSeconds) {
        throw new RewindError(
          'ReplayTimedOut',
          `${id} has not reached the recovery target ${Math.round(elapsed)} s after its reboot (limit ` +
            `${config.replayTimeoutSeconds} s); it stays a replica, held at or before the target`,
        );
      }
      return { elapsedSeconds: Math.round(elapsed) };
    }
  }
}

/**
 * Validates the input before anything changes. A cutover must confirm the production instance by name: it is handed
 * over to the restore's guarded cutover once the promoted replica is verified (and, where required, approved by a
 * second person: the starter's identity proof is checked now, as the restore's Validate does).
 */
async function plan(
  input: unknown,
  execution: { Id: string; Name: string; StartTime: string },
  config: ControlConfig,
  deps: ControlDeps,
): Promise<RewindPlan> {
  const parsed = parseInput(rewindInputSchema, input, 'rewind input');
  const confirmed = parsed.cutover?.confirmSourceInstanceId;
  if (confirmed !== undefined && confirmed !== config.productionInstanceId) {
    throw new RewindError(
      'InvalidInput',
      `Invalid rewind input: cutover.confirmSourceInstanceId = ${JSON.stringify(confirmed)}; allowed: ` +
        `${config.productionInstanceId} (the production instance the promoted replica replaces)`,
    );
  }
  const incidentTime = new Date(Date.parse(parsed.incidentTime)).toISOString();
  if (Date.parse(parsed.incidentTime) > deps.now().getTime()) {
    throw new RewindError(
      'InvalidInput',
      `Invalid rewind input: incidentTime = ${JSON.stringify(parsed.incidentTime)}; allowed: a time in the past`,
    );
  }
  // Keep sub-millisecond digits the operator gave (a UTC input keeps its text).
  const exact = /Z$/.test(parsed.incidentTime) ? parsed.incidentTime : incidentTime;
  const starter =
    confirmed === undefined ? {} : await cutoverStarter(parsed.cutover?.identityProof, execution, config, deps);
  return {
    incidentTime: exact,
    dryRun: parsed.dryRun,
    environment: config.environment,
    replicaInstanceId: config.replicaInstanceId,
    startedAt: execution.StartTime,
    cutover: confirmed !== undefined,
    sourceInstanceId: config.productionInstanceId,
    targetInstanceId: config.replicaInstanceId,
    preRestoreInstanceId: preRestoreIdentifier(config.productionInstanceId, execution.StartTime),
    executionArn: execution.Id,
    executionName: execution.Name,
    ...starter,
  };
}

/** Who starts a confirmed cutover, from the proof bound to this execution; required where a second person approves. */
async function cutoverStarter(
  proof: string | undefined,
  execution: { Id: string },
  config: ControlConfig,
  deps: ControlDeps,
): Promise<Pick<RewindPlan, 'approvalRequired' | 'startedBy'>> {
  if (proof === undefined) {
    if (!config.approvalRequired) return { approvalRequired: false };
    throw new RewindError(
      'InvalidInput',
      `Invalid rewind input: cutover.identityProof = missing; allowed: a proof of who starts the cutover (a second ` +
        `person approves every cutover in ${config.environment}: start it with authdb-dr rewind start, which adds ` +
        'the proof)',
    );
  }
  // Checked now: the proof expires within minutes, and the approval is compared with the identity it names.
  const starter = await verifyIdentityProof(proof, proofPurpose('start', execution.Id), {
    ...config.identity,
    fetch: deps.fetch ?? fetch,
    now: deps.now,
  });
  return { approvalRequired: config.approvalRequired, startedBy: starter.arn };
}

async function mustDescribe(rds: RDSClient, id: string) {
  const instance = await describeInstance(rds, id);
  if (!instance) throw new RewindError('ReplicaFailed', `The delayed replica ${id} does not exist`);
  return instance;
}
