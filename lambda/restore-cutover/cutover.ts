import { type DBInstance, ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { parseInput, shown, WorkflowError } from '../shared/errors.js';
import { describeInstance, tagValue } from '../shared/rds-instances.js';
import { CUTOVER_SUFFIX, preRestoreIdentifier, RESTORED_INFIX } from '../shared/restore-input.js';
import { PURPOSE_RESTORED, TAG_PURPOSE } from '../shared/tags.js';

export interface CutoverConfig {
  /** The production instance: from the function's own configuration, never from the event. */
  sourceInstanceId: string;
  /** The restore state machine: the only caller whose running execution may ask for a rename. */
  stateMachineArn: string;
  /**
   * The rewind state machine, the second allowed caller: its target is always the delayed replica it promoted (from
   * this configuration, not from its input).
   */
  rewind?: { stateMachineArn: string; targetInstanceId: string };
}

export interface CutoverDeps {
  rds: RDSClient;
  sfn: SFNClient;
  now: () => Date;
}

const stepSchema = z.object({
  action: z.enum(['rename-source', 'rename-target', 'roll-back']),
  plan: z
    .object({
      sourceInstanceId: z.string(),
      targetInstanceId: z.string(),
      preRestoreInstanceId: z.string(),
      executionArn: z.string(),
      cutover: z.literal(true),
    })
    .loose(),
});
/** The rollback of an execution that ended without its Catch (aborted, timed out), from the EventBridge rule. */
const endedSchema = z.object({ action: z.literal('roll-back-ended'), executionArn: z.string() });
const eventSchema = z.union([stepSchema, endedSchema]);

/** The part of the restore input a cutover depends on (the execution's own input, read back from Step Functions). */
const executionInputSchema = z
  .object({ sourceInstanceId: z.string(), targetInstanceId: z.string(), cutover: z.object({}).loose().optional() })
  .loose();

const ENDED = new Set(['ABORTED', 'TIMED_OUT', 'FAILED']);

export interface CutoverNames {
  source: string;
  target: string;
  preRestore: string;
  /** Called by the rewind: its target carries no restored tag. */
  rewind?: boolean;
}

/** The part of the rewind input a cutover depends on. */
const rewindInputSchema = z
  .object({ cutover: z.object({ confirmSourceInstanceId: z.string() }).loose().optional() })
  .loose();

export interface CutoverResult {
  action: string;
  from: string;
  to: string;
  at: string;
  alreadyDone: boolean;
  /** Roll-back only: which instance holds the production name now. */
  holder?: 'original' | 'restored';
}

/**
 * The names this cutover may touch, from the function's configuration and the calling execution as Step Functions
 * describes it (not as the event claims): a RUNNING execution of the restore state machine whose input asked for a
 * cutover, or for a roll-back also one that ended abnormally. The plan in the event must name exactly the same.
 */
export async function callerNames(
  event: z.infer<typeof eventSchema>,
  config: CutoverConfig,
  sfn: SFNClient,
): Promise<CutoverNames | null> {
  const executionArn = event.action === 'roll-back-ended' ? event.executionArn : event.plan.executionArn;
  const refuse = (why: string): never => {
    throw new WorkflowError(
      'NotCalledByRestore',
      `Refused ${event.action} for execution ${shown(executionArn)}: ${why}`,
    );
  };
  let execution: DescribeExecutionCommandOutput;
  try {
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (error) {
    return refuse(`it cannot be described (${(error as Error).name})`);
  }
  const rewind = config.rewind && execution.stateMachineArn === config.rewind.stateMachineArn ? config.rewind : null;
  if (execution.stateMachineArn !== config.stateMachineArn && !rewind) {
    refuse(
      `it is not an execution of ${[config.stateMachineArn, ...(config.rewind ? [config.rewind.stateMachineArn] : [])].join(' or ')}`,
    );
  }
  const wanted = event.action === 'roll-back-ended' ? ENDED : new Set(['RUNNING']);
  if (!wanted.has(execution.status ?? '')) refuse(`it is ${execution.status}; allowed: ${[...wanted].join(', ')}`);
  if (rewind) return rewindNames(event, execution, config.sourceInstanceId, rewind.targetInstanceId, refuse);
  let input: z.infer<typeof executionInputSchema> | undefined;
  try {
    input = executionInputSchema.parse(JSON.parse(execution.input ?? ''));
  } catch {
    refuse('its input is not a restore input');
  }
  // An ended restore that never asked for a cutover renamed nothing: there is nothing to roll back.
  if (!input!.cutover) {
    if (event.action === 'roll-back-ended') return null;
    refuse('its input asked for no cutover');
  }
  const source = config.sourceInstanceId;
  const started = execution.startDate ?? refuse('it has no start time (the pre-restore name derives from it)');
  const names: CutoverNames = {
    source,
    target: input!.targetInstanceId,
    preRestore: preRestoreIdentifier(source, started),
  };
  if (input!.sourceInstanceId !== source) refuse(`its source is ${shown(input!.sourceInstanceId)}, not ${source}`);
  if (!new RegExp(`^${source}${RESTORED_INFIX}[a-z0-9-]*$`).test(names.target) || names.target.length > 63) {
    refuse(`target ${shown(names.target)}; allowed: ${source}${RESTORED_INFIX}…`);
  }
  if (!new RegExp(`^${source}${CUTOVER_SUFFIX}\\d{12}$`).test(names.preRestore)) {
    refuse(`pre-restore name ${shown(names.preRestore)}; allowed: ${source}${CUTOVER_SUFFIX}<yyyymmddhhmm>`);
  }
  if (event.action !== 'roll-back-ended') {
    const p = event.plan;
    if (
      p.sourceInstanceId !== names.source ||
      p.targetInstanceId !== names.target ||
      p.preRestoreInstanceId !== names.preRestore
    ) {
      refuse(
        `its plan names ${shown([p.sourceInstanceId, p.targetInstanceId, p.preRestoreInstanceId])}; ` +
          `the execution allows ${shown([names.source, names.target, names.preRestore])}`,
      );
    }
  }
  return names;
}

/** A rewind execution: the confirmation must name this function's production instance; the target is its own. */
function rewindNames(
  event: z.infer<typeof eventSchema>,
  execution: DescribeExecutionCommandOutput,
  source: string,
  target: string,
  refuse: (why: string) => never,
): CutoverNames | null {
  let input: unknown;
  try {
    input = JSON.parse(execution.input ?? '');
  } catch {
    refuse('its input is not a rewind input');
  }
  const parsed = rewindInputSchema.safeParse(input);
  if (!parsed.success) refuse('its input is not a rewind input');
  const confirmed = parsed.data!.cutover?.confirmSourceInstanceId;
  if (confirmed === undefined) {
    if (event.action === 'roll-back-ended') return null;
    refuse('its input asked for no cutover');
  }
  if (confirmed !== source) refuse(`its cutover confirms ${shown(confirmed)}, not ${source}`);
  const started = execution.startDate ?? refuse('it has no start time (the pre-restore name derives from it)');
  const names: CutoverNames = { source, target, preRestore: preRestoreIdentifier(source, started), rewind: true };
  if (event.action !== 'roll-back-ended') {
    const p = event.plan;
    if (p.sourceInstanceId !== source || p.targetInstanceId !== target || p.preRestoreInstanceId !== names.preRestore) {
      refuse(
        `its plan names ${shown([p.sourceInstanceId, p.targetInstanceId, p.preRestoreInstanceId])}; ` +
          `the execution allows ${shown([source, target, names.preRestore])}`,
      );
    }
  }
  return names;
}

async function rename(rds: RDSClient, from: string, to: string): Promise<void> {
  try {
    await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: from, NewDBInstanceIdentifier: to, ApplyImmediately: true }),
    );
  } catch (error) {
    // The name is still held (a rename away from it has not finished): the caller waits and retries.
    if (
      (error as Error).name === 'DBInstanceAlreadyExistsFault' ||
      (error as Error).name === 'DBInstanceAlreadyExists'
    ) {
      throw new WorkflowError('TargetInUse', `Cannot rename ${from} to ${to}: ${to} is still taken`);
    }
    throw error;
  }
}

/**
 * Gives the production name back to an instance: whichever holds it once renames settle. If the restored instance's
 * rename went through it keeps the name; otherwise the original instance is renamed back. Throws NameNotSettled (the
 * state machine retries, waiting) until an available instance holds the name.
 */
async function rollBack(rds: RDSClient, names: CutoverNames, action: string, at: string): Promise<CutoverResult> {
  const holder = await describeInstance(rds, names.source);
  if (holder) {
    if (holder.DBInstanceStatus !== 'available') {
      throw new WorkflowError(
        'NameNotSettled',
        `${names.source} is ${holder.DBInstanceStatus}; waiting until available`,
      );
    }
    // The promoted replica carries no restored tag: the original is aside exactly when the replica holds the name.
    const held = names.rewind
      ? (await describeInstance(rds, names.preRestore))
        ? 'restored'
        : 'original'
      : holderOf(holder);
    return { action, from: names.preRestore, to: names.source, at, alreadyDone: true, holder: held };
  }
  const aside = await describeInstance(rds, names.preRestore);
  if (aside?.DBInstanceStatus !== 'available') {
    throw new WorkflowError(
      'NameNotSettled',
      `${names.source} is free and ${names.preRestore} is ${aside?.DBInstanceStatus ?? 'not found'}; waiting`,
    );
  }
  await rename(rds, names.preRestore, names.source);
  throw new WorkflowError('NameNotSettled', `Renaming ${names.preRestore} back to ${names.source}; waiting`);
}

function holderOf(instance: DBInstance): 'original' | 'restored' {
  return tagValue(instance, TAG_PURPOSE) === PURPOSE_RESTORED ? 'restored' : 'original';
}

/**
 * The cutover's renames, so applications keep the same endpoint: the source becomes `<id>-pre-restore-<stamp>`,
 * then the restored instance takes the source's id; `roll-back` converges to the production name being held again.
 * Each step is idempotent (a retry after a rename that went through finds the new name and does nothing).
 */
export async function cutover(event: unknown, config: CutoverConfig, deps: CutoverDeps): Promise<CutoverResult> {
  const e = parseInput(eventSchema, event, 'cutover event');
  const names = await callerNames(e, config, deps.sfn);
  const at = deps.now().toISOString();
  if (!names) {
    const source = config.sourceInstanceId;
    return { action: e.action, from: source, to: source, at, alreadyDone: true };
  }
  if (e.action === 'roll-back' || e.action === 'roll-back-ended') return rollBack(deps.rds, names, e.action, at);
  const [from, to] = e.action === 'rename-source' ? [names.source, names.preRestore] : [names.target, names.source];
  const current = await describeInstance(deps.rds, from);
  if (!current) {
    if (await describeInstance(deps.rds, to)) return { action: e.action, from, to, at, alreadyDone: true };
    throw new WorkflowError('SourceNotAvailable', `Cannot ${e.action}: neither ${from} nor ${to} exists`);
  }
  if (e.action === 'rename-target' && (await describeInstance(deps.rds, to))) {
    // The source still holds its name (its rename has not finished): the caller waits and retries.
    throw new WorkflowError('TargetInUse', `Cannot rename ${from} to ${to}: ${to} still exists`);
  }
  await rename(deps.rds, from, to);
  return { action: e.action, from, to, at, alreadyDone: false };
}
