import type { RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { alreadyRequested, type DrillRestoreConfig, scratchSettings } from '../drill-restore/restore.js';
import type { RestoreRequest } from '../shared/drill.js';
import { parseInput } from '../shared/errors.js';
import { describeInstance } from '../shared/rds-instances.js';
import { requestRestore } from '../shared/restore-request.js';
import { DRILL_PREFIX, PURPOSE_DRILL } from '../shared/tags.js';

export type DrRestoreConfig = DrillRestoreConfig;

const eventSchema = z.object({
  plan: z
    .object({
      scratchInstanceId: z.string().startsWith(DRILL_PREFIX),
      automatedBackupsArn: z.string().startsWith('arn:'),
      executionArn: z.string(),
      sourceInstanceId: z.string(),
      startedAt: z.string(),
    })
    .loose(),
  /** Present when the primary was counted at C: the restore goes to C. Absent: the latest restorable time. */
  sourceCounts: z
    .object({ countedAt: z.iso.datetime({ offset: true }) })
    .loose()
    .optional(),
});

/**
 * Asks RDS in the DR region for the scratch instance, restored from the replicated automated backups to C (or to
 * their latest restorable time when the primary could not be counted). Idempotent like the primary drill's restore.
 */
export async function requestDrRestore(
  event: unknown,
  config: DrRestoreConfig,
  deps: { rds: RDSClient; now: () => Date },
): Promise<RestoreRequest> {
  const { plan, sourceCounts } = parseInput(eventSchema, event, 'restore event');
  const restoreTime = sourceCounts?.countedAt;
  const existing = await describeInstance(deps.rds, plan.scratchInstanceId);
  if (existing) return alreadyRequested(existing, plan, restoreTime);

  const requestedAt = deps.now().toISOString();
  const raced = await requestRestore(deps.rds, {
    targetInstanceId: plan.scratchInstanceId,
    source: { kind: 'replicated-backups', automatedBackupsArn: plan.automatedBackupsArn, restoreTime },
    settings: scratchSettings(config),
    purpose: PURPOSE_DRILL,
    executionArn: plan.executionArn,
    requestedAt,
    restoredFrom: `${plan.sourceInstanceId}@${restoreTime ?? 'latest'} (replicated backups)`,
  });
  if (raced) return alreadyRequested(raced, plan, restoreTime);
  return { instanceId: plan.scratchInstanceId, requestedAt, restoreTime, alreadyRequested: false };
}
