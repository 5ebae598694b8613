import { DeleteDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { parseInput, WorkflowError } from '../../contract/errors.js';
import { PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE } from '../../contract/tags.js';
import { type CleanupResult, scratchInstanceId } from '../shared/drill.js';
import { describeInstance, tagValue } from '../shared/rds-instances.js';

export interface CleanupDeps {
  rds: RDSClient;
  now: () => Date;
}

/** From the state machine: the plan names the execution and its scratch instance. */
const fromWorkflow = z.object({
  plan: z.object({ scratchInstanceId: z.string(), executionArn: z.string() }).loose(),
});

/** From EventBridge: an execution of the drill ended FAILED, TIMED_OUT or ABORTED (a Catch cannot see those). */
const fromEventBridge = z.object({
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z
    .object({
      executionArn: z.string(),
      name: z.string(),
      status: z.string(),
      startDate: z.number(),
    })
    .loose(),
});

const eventSchema = z.union([fromWorkflow, fromEventBridge]);

/** Which execution, and so which scratch instance, an event is about. */
export function cleanupTarget(event: unknown): { executionArn: string; instanceId: string } {
  const parsed = parseInput(eventSchema, event, 'cleanup event');
  if ('plan' in parsed) return { executionArn: parsed.plan.executionArn, instanceId: parsed.plan.scratchInstanceId };
  const { detail } = parsed;
  return { executionArn: detail.executionArn, instanceId: scratchInstanceId(new Date(detail.startDate), detail.name) };
}

/**
 * Deletes the scratch instance of one execution, and nothing else: only an instance whose tags name that execution
 * (IAM refuses any instance without the drill tag and prefix anyway). Idempotent: an instance already gone or being
 * deleted is fine. Throttling and an instance still being created surface as errors that the caller retries.
 */
export async function cleanupScratchInstance(event: unknown, deps: CleanupDeps): Promise<CleanupResult> {
  const { executionArn, instanceId } = cleanupTarget(event);
  const at = () => deps.now().toISOString();
  const instance = await describeInstance(deps.rds, instanceId);
  if (!instance) return { instanceId, action: 'not-found', at: at() };
  if (tagValue(instance, TAG_EXECUTION) !== executionArn || tagValue(instance, TAG_PURPOSE) !== PURPOSE_DRILL) {
    throw new WorkflowError(
      'ScratchInstanceNotOwned',
      `Refusing to delete ${instanceId}: it is tagged for ${tagValue(instance, TAG_EXECUTION) ?? 'no drill'}, ` +
        `not this execution (${executionArn})`,
    );
  }
  if (instance.DBInstanceStatus === 'deleting') return { instanceId, action: 'already-deleting', at: at() };
  try {
    await deps.rds.send(
      new DeleteDBInstanceCommand({
        DBInstanceIdentifier: instanceId,
        SkipFinalSnapshot: true,
        DeleteAutomatedBackups: true,
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'DBInstanceNotFoundFault') return { instanceId, action: 'not-found', at: at() };
    throw error;
  }
  return { instanceId, action: 'deleted', at: at() };
}
