import {
  type DBInstanceAutomatedBackup,
  DescribeDBInstanceAutomatedBackupsCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { z } from 'zod';
import type { DrillPlan, Endpoint } from './drill.js';
import { WorkflowError } from './errors.js';

/** What the schedule sends, and all an engineer may send: the drill decides everything from its configuration. */
export const drRegionDrillInputSchema = z.object({}).strict();

/** Whether the primary region answered, and when not, why (the report says it). */
export interface PrimaryCheck {
  reachable: boolean;
  region: string;
  checkedAt: string;
  reason?: string;
}

/**
 * The DR-region drill's plan: the primary drill's, restoring from the automated backups replicated to this region.
 * `source` (the primary's endpoint) exists only when the primary region answered: then the primary is counted at C.
 */
export interface DrRegionDrillPlan extends Omit<DrillPlan, 'source'> {
  mode: 'point-in-time';
  region: string;
  automatedBackupsArn: string;
  source?: Endpoint;
  primary: PrimaryCheck;
}

/** Statuses of replicated automated backups a restore can use (`retained`: the source instance is gone). */
const RESTORABLE_STATUSES = new Set(['replicating', 'active', 'retained']);

/** The replicated automated backups of `sourceInstanceId` in this client's region with the newest restorable time. */
export async function replicatedBackups(
  rds: RDSClient,
  query: { sourceInstanceId: string } | { automatedBackupsArn: string },
): Promise<DBInstanceAutomatedBackup & { DBInstanceAutomatedBackupsArn: string; latest: Date }> {
  const out = await rds.send(
    new DescribeDBInstanceAutomatedBackupsCommand(
      'sourceInstanceId' in query
        ? { DBInstanceIdentifier: query.sourceInstanceId }
        : { DBInstanceAutomatedBackupsArn: query.automatedBackupsArn },
    ),
  );
  const usable = (out.DBInstanceAutomatedBackups ?? [])
    .filter(
      (b) => b.DBInstanceAutomatedBackupsArn && b.RestoreWindow?.LatestTime && RESTORABLE_STATUSES.has(b.Status ?? ''),
    )
    .map((b) => ({
      ...b,
      DBInstanceAutomatedBackupsArn: b.DBInstanceAutomatedBackupsArn!,
      latest: b.RestoreWindow!.LatestTime!,
    }))
    .sort((a, b) => b.latest.getTime() - a.latest.getTime());
  const newest = usable[0];
  if (!newest) {
    const what = 'sourceInstanceId' in query ? `of ${query.sourceInstanceId}` : query.automatedBackupsArn;
    const seen = (out.DBInstanceAutomatedBackups ?? []).map((b) => b.Status ?? 'no status');
    throw new WorkflowError(
      'SourceNotAvailable',
      `No restorable replicated automated backups ${what} in this region (found: ${seen.length > 0 ? seen.join(', ') : 'none'}); ` +
        `allowed: backups in status ${[...RESTORABLE_STATUSES].join(', ')} with a restore window ` +
        '(is automated backup replication to this region on?)',
    );
  }
  return newest;
}

/** `promise`, or a rejection naming `what` after `ms` milliseconds (the caller treats both failures alike). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
