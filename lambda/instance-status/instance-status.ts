import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { parseInput } from '../../contract/errors.js';
import type { InstanceStatus } from '../shared/drill.js';
import { describeInstance, TERMINAL_FAILURE_STATES } from '../shared/rds-instances.js';

export interface InstanceStatusDeps {
  rds: RDSClient;
  now: () => Date;
}

const timestamp = z.iso.datetime({ offset: true });
const eventSchema = z.object({
  instanceId: z.string().min(1),
  /** When waiting started; with maxWaitSeconds, how `timedOut` is decided. */
  since: timestamp,
  maxWaitSeconds: z.number().int().positive(),
  /** For a source waited on until its LatestRestorableTime reaches this instant. */
  restoreTime: timestamp.optional(),
  /** Waiting for an instance being renamed: not finding it under its new name yet is not a failure. */
  missingIsPending: z.boolean().optional(),
});

function pendingModifications(instance: DBInstance | undefined): number {
  return Object.values(instance?.PendingModifiedValues ?? {}).filter((v) => v !== undefined && v !== null).length;
}

/**
 * One look at an instance, for a Step Functions Wait + Choice loop (no Lambda waits): its status, whether it is
 * usable, failed for good, or has been waited on too long.
 */
export async function instanceStatus(event: unknown, deps: InstanceStatusDeps): Promise<InstanceStatus> {
  const e = parseInput(eventSchema, event, 'instance status event');
  const now = deps.now();
  const instance = await describeInstance(deps.rds, e.instanceId);
  const status = instance?.DBInstanceStatus ?? 'not-found';
  const result: InstanceStatus = {
    instanceId: e.instanceId,
    status,
    available: status === 'available',
    // An instance that vanished while we wait for it will not come back either (unless it is being renamed).
    failed: TERMINAL_FAILURE_STATES.has(status) || (instance === undefined && !e.missingIsPending),
    settled: status === 'available' && pendingModifications(instance) === 0,
    timedOut: now.getTime() - Date.parse(e.since) > e.maxWaitSeconds * 1000,
    checkedAt: now.toISOString(),
  };
  if (instance?.Endpoint?.Address && instance.Endpoint.Port) {
    result.endpoint = { host: instance.Endpoint.Address, port: instance.Endpoint.Port };
  }
  if (instance?.LatestRestorableTime) {
    result.latestRestorableTime = instance.LatestRestorableTime.toISOString();
  }
  if (e.restoreTime !== undefined) {
    result.restorable =
      instance?.LatestRestorableTime !== undefined &&
      instance.LatestRestorableTime.getTime() >= Date.parse(e.restoreTime);
  }
  return result;
}
