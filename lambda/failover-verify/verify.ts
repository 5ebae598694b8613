import { z } from 'zod';
import type { ConnectionFactory } from '../shared/db.js';
import { parseInput } from '../shared/errors.js';
import { countRestored, countsWithoutComparison, type RestoredReport, type TableSpec } from '../shared/row-counts.js';

export interface VerifyConfig {
  tables: TableSpec[];
  concurrency: number;
  /** The newest row may lie at most this far before the recovery point (an auth service writes all the time). */
  maxDataAgeSeconds: number;
}

export interface VerifyDeps {
  connectTo: (endpoint: { host: string; port: number }) => ConnectionFactory;
  now: () => Date;
}

const endpoint = z.object({ host: z.string().min(1), port: z.number().int() });
const eventSchema = z.discriminatedUnion('action', [
  /** Before a promotion: the commit time of the last transaction the standby replayed. */
  z.object({ action: z.literal('lastReplayed'), endpoint }),
  z.object({
    action: z.literal('verify'),
    endpoint,
    /**
     * What the writer should hold data up to; the newest row is compared with it. Null when unknown (a standby that
     * reported no replayed commit): the verification time is used, the strictest reference.
     */
    recoveryPoint: z.iso.datetime({ offset: true }).nullable(),
  }),
]);

export interface LastReplayed {
  lastReplayedCommit: string | null;
  at: string;
}

export interface FailoverVerification {
  ok: boolean;
  summary: string;
  /** recoveryPoint − newest row, seconds: the freshness the data itself proves. */
  dataAgeSeconds: number | null;
  report: RestoredReport;
  verifiedAt: string;
}

/**
 * Verifies a new writer in the DR region as the read-only verifier role (TLS verified, IAM authentication): every
 * configured table present, totals counted, and the newest row no older than `maxDataAgeSeconds` before the recovery
 * point. The primary is gone, so nothing is compared with it.
 */
export async function verifyWriter(
  event: unknown,
  config: VerifyConfig,
  deps: VerifyDeps,
): Promise<LastReplayed | FailoverVerification> {
  const e = parseInput(eventSchema, event, 'failover verifier event');
  const connect = deps.connectTo(e.endpoint);
  if (e.action === 'lastReplayed') {
    const client = await connect();
    try {
      const { rows } = await client.query<{ last: Date | null }>('SELECT pg_last_xact_replay_timestamp() AS last');
      const last = rows[0]?.last ?? null;
      return { lastReplayedCommit: last ? new Date(last).toISOString() : null, at: deps.now().toISOString() };
    } finally {
      await client.end().catch(() => {});
    }
  }
  const reference = e.recoveryPoint ?? deps.now().toISOString();
  const report = countsWithoutComparison(
    await countRestored(connect, config.tables, reference, { concurrency: config.concurrency }),
  );
  const dataAgeSeconds =
    report.newest === undefined ? null : Math.round((Date.parse(reference) - Date.parse(report.newest)) / 1000);
  const problems: string[] = [];
  if (report.missingTables.length > 0) problems.push(`tables missing: ${report.missingTables.join(', ')}`);
  if (dataAgeSeconds === null) problems.push('no row with a time value: freshness cannot be shown');
  else if (dataAgeSeconds > config.maxDataAgeSeconds) {
    problems.push(
      `newest row ${report.newest} is ${dataAgeSeconds} s before the recovery point ${reference} (allowed: ${config.maxDataAgeSeconds} s)`,
    );
  }
  const totals = Object.entries(report.tables)
    .map(([name, count]) => `${name} ${count.total}`)
    .join(', ');
  return {
    ok: problems.length === 0,
    summary:
      problems.length === 0
        ? `All ${config.tables.length} tables present (${totals}); newest row ${report.newest}`
        : problems.join('; '),
    dataAgeSeconds,
    report,
    verifiedAt: deps.now().toISOString(),
  };
}
