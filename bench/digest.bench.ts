// What the content digest costs next to `count(*)`, on the 5-million-row bench data (bench/bench-data.ts).
//
// (a) count(*): `SELECT count(*)` per table on one connection, one table after another: the baseline.
// (b) digest, as the drill takes it: the verifier role, through the functions the bootstrap installs, every table
//     split into its key ranges (16), the ranges spread over CONCURRENCY connections (the prod setting).
// (c) the same digest on one connection, for scale.
// Each is run ROUNDS times on a warm cache; the median is reported; goal: (b) <= 5x (a).
// Run: npm run bench -- digest
import type pg from 'pg';
import { digestRanges, planRanges } from '../lambda/shared/digests.js';
import { onPool } from '../lambda/shared/row-counts.js';
import { startPostgres } from '../test/support/postgres.js';
import { BENCH_VERIFIER, DATABASE, load, median, ROUNDS, ROWS, SETTLE_SECONDS, TABLES, timed } from './bench-data.js';

const CONCURRENCY = 3;
const GOAL = 5;

async function digestAll(clients: pg.Client[], cutoff: string) {
  const run = <T, R>(items: T[], work: (client: pg.Client, item: T) => Promise<R>) => onPool(clients, items, work);
  const ranges = await planRanges(run, TABLES, cutoff, 'bench');
  return digestRanges(run, ranges, cutoff, 'bench');
}

async function main(): Promise<void> {
  const server = await startPostgres();
  try {
    const loading = await timed(() => load(server));
    const cutoff = new Date(Date.now() - SETTLE_SECONDS * 1000).toISOString();
    const admin = await server.client(DATABASE);
    const verifier = server.connectionFactory(DATABASE, BENCH_VERIFIER);
    const pool = await Promise.all(Array.from({ length: CONCURRENCY }, () => verifier()));
    try {
      const counts = async () => {
        for (const { name } of TABLES) await admin.query(`SELECT count(*) FROM ${name}`);
      };
      await counts(); // warm the cache
      const times = { count: [] as number[], digest: [] as number[], single: [] as number[] };
      let rows = 0;
      for (let round = 0; round < ROUNDS; round += 1) {
        times.count.push((await timed(counts)).ms);
        const digested = await timed(() => digestAll(pool, cutoff));
        times.digest.push(digested.ms);
        rows = Object.values(digested.result).reduce((n, t) => n + t.ranges.reduce((m, r) => m + r.rows, 0), 0);
        times.single.push((await timed(() => digestAll(pool.slice(0, 1), cutoff))).ms);
      }
      const countMs = median(times.count);
      const line = (label: string, ms: number) =>
        `${label.padEnd(52)} ${ms.toFixed(0).padStart(7)} ${(ms / countMs).toFixed(2).padStart(8)}`;
      const total = Object.values(ROWS).reduce((a, b) => a + b, 0);
      console.log(`loaded ${total} rows in ${(loading.ms / 1000).toFixed(1)} s; ${rows} settled rows digested`);
      console.log(`median of ${ROUNDS} rounds, warm cache`);
      console.log(`${'method'.padEnd(52)} ${'ms'.padStart(7)} ${'vs count'.padStart(8)}`);
      console.log(line('(a) count(*), 3 tables sequentially', countMs));
      console.log(line(`(b) digest, 16 ranges a table, ${CONCURRENCY} connections`, median(times.digest)));
      console.log(line('(c) digest, 16 ranges a table, 1 connection', median(times.single)));
      const ratio = median(times.digest) / countMs;
      console.log(`goal (b) <= ${GOAL}x count(*): ${ratio <= GOAL ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`);
    } finally {
      await Promise.allSettled([admin.end(), ...pool.map((c) => c.end())]);
    }
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
