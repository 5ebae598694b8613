import type pg from 'pg';
import type { ConnectionFactory } from './db.js';
import {
  compareDigests,
  type DigestVerdict,
  digestRanges,
  planRanges,
  rangesOf,
  type TableDigests,
} from './digests.js';
import { describeSchemaDifference, type SchemaDifference } from './schema-check.js';
import { quoteName } from './sql-names.js';
import { VERIFY_SCHEMA, withTable } from './verification-functions.js';

export { quoteName };

/**
 * A table to verify; `timeColumn` stamps when a row was written, `tolerance` is in rows. The digest settings are
 * the drill config's (lambda/shared/digests.ts); key and digest columns are fixed in the database by the bootstrap.
 */
export interface TableSpec {
  name: string;
  timeColumn?: string;
  tolerance: number;
  digestRanges?: number;
  maxSampleIds?: number;
  keyColumn?: string;
  digestColumns?: string[];
}

export interface CountOptions {
  /** Connections counting tables in parallel (besides the one that takes the snapshot). */
  concurrency: number;
  /** Rows stamped within this many seconds before the counting instant are not compared (they may still change). */
  settleSeconds: number;
  /**
   * Measure the settle window back from this instant instead of C (a restore to an earlier time compares the rows
   * stamped before that time). ISO-8601.
   */
  settleBefore?: string;
  /** Also digest the settled rows' content, per key range, in the same snapshot. @default false */
  digest?: boolean;
}

export interface TableCount {
  total: number;
  /** Rows stamped at or before the settle cutoff; only for tables with a time column. */
  settled?: number;
  /** Newest time-column value, ISO-8601 UTC; restored side only. */
  newest?: string;
}

/** Counts of the source at one instant `countedAt` (C); all timestamps are ISO-8601 UTC. */
export interface SourceCounts {
  countedAt: string;
  settleCutoff: string;
  tables: Record<string, TableCount>;
  /** Content digests of the settled rows per key range, in the snapshot of the counts. */
  digests?: TableDigests;
}

export interface RestoredCounts {
  cutoff: string;
  tables: Record<string, TableCount>;
  missingTables: string[];
  /** Digests over the source's key ranges (tables present in the restore only). */
  digests?: TableDigests;
}

export interface TableVerdict {
  table: string;
  source?: TableCount;
  restored?: TableCount;
  compared: 'settled' | 'total';
  tolerance: number;
  /** Restored minus source for the compared count: negative means rows are missing in the restore. */
  difference: number;
  /** Restored minus source for all rows; reported, not judged. */
  totalDifference: number;
  withinTolerance: boolean;
  /** Content of the settled rows compared by digest; absent when no digests were taken. */
  digest?: DigestVerdict;
}

/** A table fails on a count outside tolerance, or on differing content where the digest is judged. */
export function tableFailed(verdict: TableVerdict): boolean {
  return !verdict.withinTolerance || (verdict.digest?.judged === true && !verdict.digest.match);
}

export interface Verification {
  ok: boolean;
  countedAt: string;
  settleCutoff: string;
  /** countedAt minus the newest time value across restored tables: the data loss the restore proves. */
  freshnessSeconds?: number;
  tables: TableVerdict[];
  missingTables: string[];
  /** Tables, columns, indexes, constraints, extensions and roles that differ; any fails the verification. */
  schemaDifferences?: SchemaDifference[];
}

/** Counts of a restore that has no source counts to compare with (restored from a snapshot). */
export interface RestoredReport {
  ok: boolean;
  compared: false;
  cutoff: string;
  /** Newest time value across restored tables, ISO-8601 UTC. */
  newest?: string;
  tables: Record<string, TableCount>;
  missingTables: string[];
  /** Compared with the source's schema at verification time. */
  schemaDifferences?: SchemaDifference[];
}

export class VerificationMismatch extends Error {
  override readonly name = 'VerificationMismatch';

  constructor(readonly verification: Verification) {
    super(`Restore verification failed: ${describeFailures(verification).join('; ')}`);
  }
}

interface CountQuery {
  spec: TableSpec;
  table: string;
  timeColumn?: string;
}

function countQueries(tables: TableSpec[]): CountQuery[] {
  if (tables.length === 0) {
    throw new Error('No tables to verify: at least one table is required');
  }
  const seen = new Set<string>();
  return tables.map((spec) => {
    const table = quoteName(spec.name, 'table name', true);
    if (seen.has(spec.name)) {
      throw new Error(`Table ${spec.name} is listed twice`);
    }
    seen.add(spec.name);
    if (!Number.isInteger(spec.tolerance) || spec.tolerance < 0) {
      throw new Error(`Invalid tolerance ${spec.tolerance} for table ${spec.name}: allowed are whole rows >= 0`);
    }
    const timeColumn = spec.timeColumn === undefined ? undefined : quoteName(spec.timeColumn, 'time column');
    return { spec, table, timeColumn };
  });
}

function checkConcurrency(concurrency: number): void {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new Error(`Invalid concurrency ${concurrency}: allowed are whole numbers >= 1`);
  }
}

const ISO_UTC = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** pg returns bigint as a string; a count past 2^53 cannot be compared exactly as a number, so it is refused. */
function toCount(value: unknown, table: string): number {
  const count = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(count)) {
    throw new Error(`Count of ${table} is not a whole number: ${String(value)}`);
  }
  if (!Number.isSafeInteger(count)) {
    throw new Error(`Count of ${table} (${value}) is beyond what can be compared exactly (${Number.MAX_SAFE_INTEGER})`);
  }
  return count;
}

/**
 * Counts through the verification functions the bootstrap installs (lambda/shared/verification-functions.ts): the
 * verifier role reads no table itself. They run in the caller's transaction, so in its (imported) snapshot.
 * `undefined` when the table does not exist.
 */
async function countTable(
  client: pg.Client,
  query: CountQuery,
  cutoff: string,
  withNewest: boolean,
): Promise<TableCount | undefined> {
  const result = await client.query(
    `SELECT present, time_column, total, settled, newest FROM ${VERIFY_SCHEMA}.table_counts($1, $2::timestamptz, $3)`,
    [query.spec.name, cutoff, withNewest],
  );
  const row = result.rows[0];
  // The time column is the installed one (the verifier cannot choose columns): a different one in the config means
  // the bootstrap has not run since the configuration changed.
  if ((row.time_column ?? undefined) !== query.spec.timeColumn) {
    throw new Error(
      `the database's verification functions use time column ${row.time_column ?? '(none)'} but the configuration ` +
        `names ${query.spec.timeColumn ?? '(none)'}: deploy again so the bootstrap installs the current configuration`,
    );
  }
  if (!row.present) return undefined;
  const count: TableCount = { total: toCount(row.total, query.spec.name) };
  if (query.timeColumn) {
    count.settled = toCount(row.settled, query.spec.name);
    if (withNewest && row.newest !== null) {
      count.newest = row.newest;
    }
  }
  return count;
}

/**
 * Runs `work` for every item on a fixed set of connections, each taking the next item when free. After the first
 * failure no new item starts; the running ones finish so their connections can close cleanly.
 */
export async function onPool<T, R>(
  clients: pg.Client[],
  items: T[],
  work: (client: pg.Client, item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    clients.map(async (client) => {
      while (failure === undefined && next < items.length) {
        const index = next++;
        try {
          results[index] = await work(client, items[index]);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure !== undefined) {
    throw failure.error;
  }
  return results;
}

export async function closeAll(clients: Array<pg.Client | undefined>): Promise<void> {
  await Promise.allSettled(clients.map((client) => client?.end()));
}

export async function openWorkers(
  connect: ConnectionFactory,
  count: number,
  prepare: (client: pg.Client) => Promise<void>,
): Promise<pg.Client[]> {
  const opened = await Promise.allSettled(
    Array.from({ length: count }, async () => {
      const client = await connect();
      try {
        await prepare(client);
      } catch (error) {
        await client.end().catch(() => {});
        throw error;
      }
      return client;
    }),
  );
  const clients = opened.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await closeAll(clients);
    throw failed.reason;
  }
  return clients;
}

/**
 * Counts the source as of one instant C. One coordinator transaction takes a snapshot and reads the clock in the
 * same statement; the counting connections import that snapshot (as `pg_dump -j` does), so every table is counted
 * as of C however long the counting takes, and writes after C change nothing.
 */
export async function countSource(
  connect: ConnectionFactory,
  tables: TableSpec[],
  opts: CountOptions,
): Promise<SourceCounts> {
  const queries = countQueries(tables);
  checkConcurrency(opts.concurrency);
  if (!Number.isFinite(opts.settleSeconds) || opts.settleSeconds < 0) {
    throw new Error(`Invalid settleSeconds ${opts.settleSeconds}: allowed are seconds >= 0`);
  }

  let coordinator: pg.Client | undefined;
  let workers: pg.Client[] = [];
  try {
    coordinator = await connect();
    await coordinator.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await coordinator.query(`SET LOCAL TIME ZONE 'UTC'`);
    // SET takes no snapshot, so this is the transaction's first snapshot; the clock is read after it was taken.
    const instant = await coordinator.query(
      `SELECT pg_export_snapshot() AS snapshot,
              to_char(c, ${ISO_UTC}) AS counted_at,
              to_char(coalesce($2::timestamptz, c) - make_interval(secs => $1), ${ISO_UTC}) AS settle_cutoff
         FROM (SELECT clock_timestamp() AS c) AS now`,
      [opts.settleSeconds, opts.settleBefore ?? null],
    );
    const { snapshot, counted_at: countedAt, settle_cutoff: settleCutoff } = instant.rows[0];

    // The exported snapshot can be imported only while the coordinator's transaction is open: import it on every
    // counting connection first, then let the coordinator go.
    workers = await openWorkers(connect, Math.min(opts.concurrency, queries.length), async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/'/g, "''")}'`);
      await client.query(`SET LOCAL TIME ZONE 'UTC'`);
    });
    await coordinator.query('COMMIT');

    const counts = await onPool(workers, queries, async (client, query) => {
      const counting = countTable(client, query, settleCutoff, false).then((count) => {
        if (count === undefined) throw new Error(`relation ${query.spec.name} does not exist`);
        return count;
      });
      return withTable('source', query.spec.name, counting);
    });
    const result: SourceCounts = {
      countedAt,
      settleCutoff,
      tables: Object.fromEntries(queries.map((q, i) => [q.spec.name, counts[i]])),
    };
    if (opts.digest) {
      // Same connections, same transactions: the digests see the snapshot the counts saw.
      const run = <T, R>(items: T[], work: (client: pg.Client, item: T) => Promise<R>) => onPool(workers, items, work);
      const ranges = await planRanges(run, tables, settleCutoff, 'source');
      result.digests = await digestRanges(run, ranges, settleCutoff, 'source');
    }
    await Promise.all(workers.map((client) => client.query('COMMIT')));
    return result;
  } finally {
    await closeAll([coordinator, ...workers]);
  }
}

/**
 * Counts the restored database with the source's cutoff, plus the newest time value per table. A table missing in
 * the restore is reported, not raised: the comparison names it.
 */
export async function countRestored(
  connect: ConnectionFactory,
  tables: TableSpec[],
  cutoff: string,
  opts: { concurrency: number; digestsOf?: TableDigests },
): Promise<RestoredCounts> {
  const queries = countQueries(tables);
  checkConcurrency(opts.concurrency);
  if (Number.isNaN(Date.parse(cutoff))) {
    throw new Error(`Invalid cutoff ${JSON.stringify(cutoff)}: expected an ISO-8601 timestamp`);
  }

  let workers: pg.Client[] = [];
  try {
    workers = await openWorkers(connect, Math.min(opts.concurrency, queries.length), async (client) => {
      await client.query(`SET TIME ZONE 'UTC'`);
    });
    const counts = await onPool(workers, queries, (client, query) =>
      withTable('restore', query.spec.name, countTable(client, query, cutoff, true)),
    );
    const result: RestoredCounts = { cutoff, tables: {}, missingTables: [] };
    queries.forEach((query, i) => {
      const count = counts[i];
      if (count === undefined) {
        result.missingTables.push(query.spec.name);
      } else {
        result.tables[query.spec.name] = count;
      }
    });
    if (opts.digestsOf !== undefined) {
      const present = queries.map((q) => q.spec.name).filter((name) => result.tables[name] !== undefined);
      const run = <T, R>(items: T[], work: (client: pg.Client, item: T) => Promise<R>) => onPool(workers, items, work);
      result.digests = await digestRanges(run, rangesOf(opts.digestsOf, present), cutoff, 'restore');
    }
    return result;
  } finally {
    await closeAll(workers);
  }
}

/** Rows of one table the source holds stamped after the recovery point; `unknown` without a time column. */
export interface RowsAfter {
  table: string;
  timeColumn?: string;
  rows: number | 'unknown';
}

/**
 * What a cutover leaves behind in the old instance, counted on the source at `countedAt`; `error` (instead of
 * tables) when the source could not be counted.
 */
export interface RowsAfterRecoveryPoint {
  recoveryPoint: string;
  countedAt?: string;
  tables: RowsAfter[];
  error?: string;
}

/**
 * Counts, per table, the source's rows stamped after `recoveryPoint` (total minus rows at or before it, through the
 * verification functions), all tables in one read-only snapshot.
 */
export async function countRowsAfter(
  connect: ConnectionFactory,
  tables: TableSpec[],
  recoveryPoint: string,
): Promise<RowsAfterRecoveryPoint> {
  const queries = countQueries(tables);
  if (Number.isNaN(Date.parse(recoveryPoint))) {
    throw new Error(`Invalid recovery point ${JSON.stringify(recoveryPoint)}: expected an ISO-8601 timestamp`);
  }
  const client = await connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET LOCAL TIME ZONE 'UTC'`);
    const clock = await client.query(`SELECT to_char(clock_timestamp(), ${ISO_UTC}) AS counted_at`);
    const result: RowsAfterRecoveryPoint = { recoveryPoint, countedAt: clock.rows[0].counted_at, tables: [] };
    for (const query of queries) {
      const counting = countTable(client, query, recoveryPoint, false).then((count) => {
        if (count === undefined) throw new Error(`relation ${query.spec.name} does not exist`);
        return count;
      });
      const count = await withTable('source', query.spec.name, counting);
      result.tables.push({
        table: query.spec.name,
        ...(query.spec.timeColumn === undefined ? {} : { timeColumn: query.spec.timeColumn }),
        rows: count.settled === undefined ? 'unknown' : count.total - count.settled,
      });
    }
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end().catch(() => {});
  }
}

function newestOf(tables: Record<string, TableCount>): string | undefined {
  let newest: string | undefined;
  for (const count of Object.values(tables)) {
    if (count.newest !== undefined && (newest === undefined || Date.parse(count.newest) > Date.parse(newest))) {
      newest = count.newest;
    }
  }
  return newest;
}

/**
 * Judges a restore against the source counts. Rows stamped at or before the settle cutoff cannot legitimately
 * differ, so they must match within the table's tolerance; totals also move with commits around C and with
 * transactions open at C, so their difference is reported only. Tables without a time column compare totals.
 */
export function compareCounts(source: SourceCounts, restored: RestoredCounts, tables: TableSpec[]): Verification {
  countQueries(tables);
  const verdicts = tables.map((spec): TableVerdict => {
    const compared = spec.timeColumn === undefined ? 'total' : 'settled';
    const sourceCount = source.tables[spec.name];
    const before = compared === 'settled' ? sourceCount?.settled : sourceCount?.total;
    if (sourceCount === undefined || before === undefined) {
      // The counts were taken with other table settings: a bug or a changed configuration, not a bad restore.
      throw new Error(`Table ${spec.name} has no ${compared} count from the source to compare with`);
    }
    const verdict = { table: spec.name, source: sourceCount, compared, tolerance: spec.tolerance } as const;
    const restoredCount = restored.tables[spec.name];
    if (restoredCount === undefined) {
      // Missing in the restore: every counted row is missing.
      return { ...verdict, difference: -before, totalDifference: -sourceCount.total, withinTolerance: false };
    }
    const after = (compared === 'settled' ? restoredCount.settled : restoredCount.total) ?? 0;
    const difference = after - before;
    const digest = compareDigests(spec, source.digests?.[spec.name], restored.digests?.[spec.name]);
    return {
      ...verdict,
      restored: restoredCount,
      difference,
      totalDifference: restoredCount.total - sourceCount.total,
      withinTolerance: Math.abs(difference) <= spec.tolerance,
      ...(digest === undefined ? {} : { digest }),
    };
  });

  const missingTables = verdicts.filter((v) => v.restored === undefined).map((v) => v.table);
  const verification: Verification = {
    ok: !verdicts.some(tableFailed),
    countedAt: source.countedAt,
    settleCutoff: source.settleCutoff,
    tables: verdicts,
    missingTables,
  };
  const newest = newestOf(restored.tables);
  if (newest !== undefined) {
    verification.freshnessSeconds = (Date.parse(source.countedAt) - Date.parse(newest)) / 1000;
  }
  return verification;
}

/** The verification with the schema check's result: any difference fails it. */
export function withSchemaCheck(v: Verification, differences: SchemaDifference[]): Verification {
  return { ...v, ok: v.ok && differences.length === 0, schemaDifferences: differences };
}

function describeFailures(v: Verification): string[] {
  const schema = (v.schemaDifferences ?? []).map((d) => `schema: ${describeSchemaDifference(d)}`);
  return v.tables
    .filter(tableFailed)
    .map((verdict) => {
      if (verdict.restored === undefined) {
        return `table ${verdict.table} missing in the restore`;
      }
      if (verdict.withinTolerance && verdict.digest) {
        return describeDigest(verdict.table, verdict.digest);
      }
      const settled = verdict.compared === 'settled';
      const before = settled ? verdict.source?.settled : verdict.source?.total;
      const after = settled ? verdict.restored.settled : verdict.restored.total;
      const rows = settled ? `rows at or before ${v.settleCutoff}` : 'rows';
      return `${verdict.table}: ${before} ${rows} in the source, ${after ?? 0} restored (tolerance ${verdict.tolerance})`;
    })
    .concat(schema);
}

/** Keys only: no column value of any row is ever part of a report. */
export function describeDigest(table: string, digest: DigestVerdict): string {
  const ranges = digest.mismatchedRanges
    .map(
      (r) => `${r.from ?? '-inf'}..${r.to ?? '+inf'} (${r.sourceRows} rows in the source, ${r.restoredRows} restored)`,
    )
    .join(', ');
  const samples = digest.sampleIds?.length ? `; differing keys: ${digest.sampleIds.join(', ')}` : '';
  return `${table}: content of the settled rows differs in key ranges ${ranges}${samples}`;
}

export function assertVerified(v: Verification): void {
  if (!v.ok) {
    throw new VerificationMismatch(v);
  }
}

export function countsWithoutComparison(restored: RestoredCounts): RestoredReport {
  const report: RestoredReport = {
    ok: restored.missingTables.length === 0,
    compared: false,
    cutoff: restored.cutoff,
    tables: restored.tables,
    missingTables: restored.missingTables,
  };
  const newest = newestOf(restored.tables);
  if (newest !== undefined) report.newest = newest;
  return report;
}
