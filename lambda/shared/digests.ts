import type pg from 'pg';
import { VERIFY_SCHEMA, withTable } from './verification-functions.js';

/**
 * Content digests of the settled rows, computed by the verification functions (sum of 64-bit row hashes, see
 * lambda/shared/verification-functions.ts) per key range, so tables split across connections and a mismatch is
 * located. Keys travel as decimal strings: bigint keys may exceed what a JS number holds exactly.
 */

/** The per-table settings the digest reads from the drill config. */
export interface DigestTable {
  name: string;
  /** Key ranges a table is split into at C. @default 16 */
  digestRanges?: number;
  /** Keys named at most per table when the digest differs. @default 5 */
  maxSampleIds?: number;
  timeColumn?: string;
  tolerance: number;
}

export const DEFAULT_DIGEST_RANGES = 16;
export const DEFAULT_MAX_SAMPLE_IDS = 5;
/** Below this many keys a differing range is compared row by row (per-row hashes, never values). */
const LEAF_KEYS = 64n;

/** [from, to] on the key, inclusive; `null` is unbounded (the outer ranges catch keys beyond the source's). */
export interface KeyRange {
  from: string | null;
  to: string | null;
}

export interface RangeDigest extends KeyRange {
  rows: number;
  /** Sum of the rows' 64-bit hashes, exact (numeric). */
  digest: string;
}

export type TableDigests = Record<string, { ranges: RangeDigest[] }>;

export interface DigestVerdict {
  /** Settled rows (or, with tolerance 0, all rows) have the same content on both sides. */
  match: boolean;
  /** Judged (fails the verification): the table has a time column or a tolerance of 0. Otherwise reported only. */
  judged: boolean;
  mismatchedRanges: Array<KeyRange & { sourceRows: number; restoredRows: number }>;
  /** Keys whose rows differ (or exist on one side only), compared with the source at verification time. */
  sampleIds?: string[];
  /** Why no keys could be named (the mismatch itself stands). */
  sampleError?: string;
}

const param = (value: bigint | null) => (value === null ? null : value.toString());
const big = (value: string | null) => (value === null ? null : BigInt(value));

export async function keyBounds(
  client: pg.Client,
  table: string,
  cutoff: string,
  range: KeyRange = { from: null, to: null },
): Promise<{ lo: bigint | null; hi: bigint | null }> {
  const result = await client.query(
    `SELECT lo::text, hi::text FROM ${VERIFY_SCHEMA}.key_bounds($1, $2::timestamptz, $3::bigint, $4::bigint)`,
    [table, cutoff, range.from, range.to],
  );
  return { lo: big(result.rows[0].lo), hi: big(result.rows[0].hi) };
}

export async function rangeDigest(
  client: pg.Client,
  table: string,
  cutoff: string,
  range: KeyRange,
): Promise<RangeDigest> {
  const result = await client.query(
    `SELECT row_count, digest::text FROM ${VERIFY_SCHEMA}.range_digest($1, $2::timestamptz, $3::bigint, $4::bigint)`,
    [table, cutoff, range.from, range.to],
  );
  return { ...range, rows: Number(result.rows[0].row_count), digest: result.rows[0].digest };
}

/**
 * `count` ranges of about equal key width covering [lo, hi]; the first is open below and the last open above, so
 * keys the other side has beyond the source's bounds are still in some range.
 */
export function splitKeyRange(lo: bigint | null, hi: bigint | null, count: number): KeyRange[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`Invalid number of digest ranges ${count}: allowed are whole numbers >= 1`);
  }
  if (lo === null || hi === null || count === 1) return [{ from: null, to: null }];
  const width = hi - lo + 1n;
  const n = width < BigInt(count) ? Number(width) : count;
  const starts = Array.from({ length: n }, (_, i) => lo + (width * BigInt(i)) / BigInt(n));
  return starts.map((start, i) => ({
    from: i === 0 ? null : start.toString(),
    to: i === n - 1 ? null : (starts[i + 1] - 1n).toString(),
  }));
}

/** The ranges of every table: bounds of the settled keys, split. Run on the source at C. */
export async function planRanges(
  run: <T, R>(items: T[], work: (client: pg.Client, item: T) => Promise<R>) => Promise<R[]>,
  tables: DigestTable[],
  cutoff: string,
  side: string,
): Promise<Array<{ table: string; range: KeyRange }>> {
  const bounds = await run(tables, (client, table) =>
    withTable(side, table.name, keyBounds(client, table.name, cutoff), 'Finding the key ranges of'),
  );
  return tables.flatMap((table, i) =>
    splitKeyRange(bounds[i].lo, bounds[i].hi, table.digestRanges ?? DEFAULT_DIGEST_RANGES).map((range) => ({
      table: table.name,
      range,
    })),
  );
}

/** Digests every (table, range) on the pool `run` provides, grouped by table in range order. */
export async function digestRanges(
  run: <T, R>(items: T[], work: (client: pg.Client, item: T) => Promise<R>) => Promise<R[]>,
  items: Array<{ table: string; range: KeyRange }>,
  cutoff: string,
  side: string,
): Promise<TableDigests> {
  const digests = await run(items, (client, item) =>
    withTable(side, item.table, rangeDigest(client, item.table, cutoff, item.range), 'Digesting'),
  );
  const result: TableDigests = {};
  items.forEach((item, i) => {
    result[item.table] ??= { ranges: [] };
    result[item.table].ranges.push(digests[i]);
  });
  return result;
}

/** The ranges the source was digested in, to digest the restore the same way. */
export function rangesOf(source: TableDigests, tables: string[]): Array<{ table: string; range: KeyRange }> {
  return tables.flatMap((table) =>
    (source[table]?.ranges ?? []).map(({ from, to }) => ({ table, range: { from, to } })),
  );
}

export function isJudged(table: DigestTable): boolean {
  return table.timeColumn !== undefined || table.tolerance === 0;
}

/** Compares the digests of one table range by range. */
export function compareDigests(
  table: DigestTable,
  source: TableDigests[string] | undefined,
  restored: TableDigests[string] | undefined,
): DigestVerdict | undefined {
  if (source === undefined || restored === undefined) return undefined;
  const mismatchedRanges = source.ranges.flatMap((range, i) => {
    const other = restored.ranges[i];
    const same = other !== undefined && other.rows === range.rows && other.digest === range.digest;
    return same ? [] : [{ from: range.from, to: range.to, sourceRows: range.rows, restoredRows: other?.rows ?? 0 }];
  });
  return { match: mismatchedRanges.length === 0, judged: isJudged(table), mismatchedRanges };
}

/**
 * Names up to `max` keys whose rows differ between the two sides within `range`, by bisection: the digests of the
 * two halves are compared and only differing halves are followed, down to a few dozen keys compared row by row.
 * Returns keys only, never values.
 */
export async function sampleDifferingKeys(
  source: pg.Client,
  restored: pg.Client,
  table: string,
  cutoff: string,
  range: KeyRange,
  max: number,
): Promise<string[]> {
  const found: string[] = [];
  if (max <= 0) return found;
  const [a, b] = await Promise.all([
    keyBounds(source, table, cutoff, range),
    keyBounds(restored, table, cutoff, range),
  ]);
  const los = [a.lo, b.lo].filter((v): v is bigint => v !== null);
  const his = [a.hi, b.hi].filter((v): v is bigint => v !== null);
  if (los.length === 0 || his.length === 0) return found;
  // bigint: Math.min/max do not apply.
  const byValue = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0);
  const lo = los.sort(byValue)[0];
  const hi = his.sort(byValue)[his.length - 1];

  const visit = async (from: bigint, to: bigint): Promise<void> => {
    if (found.length >= max) return;
    const part = { from: param(from), to: param(to) };
    const [left, right] = await Promise.all([
      rangeDigest(source, table, cutoff, part),
      rangeDigest(restored, table, cutoff, part),
    ]);
    if (left.rows === right.rows && left.digest === right.digest) return;
    if (to - from < LEAF_KEYS) {
      const [x, y] = await Promise.all([
        rowDigests(source, table, cutoff, part),
        rowDigests(restored, table, cutoff, part),
      ]);
      const keys = [...new Set([...x.keys(), ...y.keys()])].sort((p, q) => (BigInt(p) < BigInt(q) ? -1 : 1));
      for (const key of keys) {
        if (found.length < max && x.get(key) !== y.get(key)) found.push(key);
      }
      return;
    }
    const mid = from + (to - from) / 2n;
    await visit(from, mid);
    await visit(mid + 1n, to);
  };
  await visit(lo, hi);
  return found;
}

async function rowDigests(client: pg.Client, table: string, cutoff: string, range: KeyRange) {
  const result = await client.query(
    `SELECT key::text, digest::text FROM ${VERIFY_SCHEMA}.row_digests($1, $2::timestamptz, $3::bigint, $4::bigint, $5)`,
    [table, cutoff, range.from, range.to, 10_000],
  );
  return new Map<string, string>(result.rows.map((row) => [row.key, row.digest]));
}
