import { ModifyDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { parseInput, WorkflowError } from '../shared/errors.js';
import { describeInstance } from '../shared/rds-instances.js';
import type { RestorePlan } from '../shared/restore.js';

export interface CutoverDeps {
  rds: RDSClient;
  now: () => Date;
}

const eventSchema = z.object({
  action: z.enum(['rename-source', 'rename-target', 'roll-back']),
  plan: z
    .object({
      sourceInstanceId: z.string(),
      targetInstanceId: z.string(),
      preRestoreInstanceId: z.string(),
      cutover: z.literal(true),
    })
    .loose(),
});

async function rename(rds: RDSClient, from: string, to: string): Promise<void> {
  await rds.send(
    new ModifyDBInstanceCommand({ DBInstanceIdentifier: from, NewDBInstanceIdentifier: to, ApplyImmediately: true }),
  );
}

/**
 * The cutover's renames, so applications keep the same endpoint: the source becomes `<id>-pre-restore-<stamp>`,
 * then the restored instance takes the source's id; `roll-back` gives the source its id back. Each step is
 * idempotent (a retry after a rename that went through finds the new name and does nothing).
 */
export async function cutover(event: unknown, deps: CutoverDeps) {
  const e = parseInput(eventSchema, event, 'cutover event');
  const plan = e.plan as unknown as RestorePlan;
  const [from, to] = {
    'rename-source': [plan.sourceInstanceId, plan.preRestoreInstanceId],
    'rename-target': [plan.targetInstanceId, plan.sourceInstanceId],
    'roll-back': [plan.preRestoreInstanceId, plan.sourceInstanceId],
  }[e.action] as [string, string];
  const at = deps.now().toISOString();
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
