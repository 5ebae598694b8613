import type { RDSClient } from '@aws-sdk/client-rds';
import { z } from 'zod';
import { replicatedBackups } from '../shared/dr-region-drill.js';
import { parseInput } from '../shared/errors.js';

const timestamp = z.iso.datetime({ offset: true });
const eventSchema = z.object({
  action: z.literal('backup-status'),
  automatedBackupsArn: z.string().startsWith('arn:'),
  /** C: the instant the primary was counted, which the restore goes to. */
  restoreTime: timestamp,
  since: timestamp,
  maxWaitSeconds: z.number().int().positive(),
});

export interface BackupStatus {
  latestRestorableTime: string;
  /** The replicated backups can be restored to `restoreTime`. */
  restorable: boolean;
  timedOut: boolean;
  checkedAt: string;
}

/** One look at the replicated backups' restore window, for a Wait + Choice loop until they reach C. */
export async function backupStatus(event: unknown, deps: { rds: RDSClient; now: () => Date }): Promise<BackupStatus> {
  const e = parseInput(eventSchema, event, 'backup status event');
  const now = deps.now();
  const backups = await replicatedBackups(deps.rds, { automatedBackupsArn: e.automatedBackupsArn });
  return {
    latestRestorableTime: backups.latest.toISOString(),
    restorable: backups.latest.getTime() >= Date.parse(e.restoreTime),
    timedOut: now.getTime() - Date.parse(e.since) > e.maxWaitSeconds * 1000,
    checkedAt: now.toISOString(),
  };
}
