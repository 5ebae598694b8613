// What the verifier costs next to the plainest possible count, on a local PostgreSQL 15 with 5 million rows.
//
// (a) countSource: one snapshot, three tables counted in parallel (concurrency 3, one connection per table), each
//     with total + settled rows in one scan; countRestored: the same plus max(created_at), as the drill runs on the
//     scratch instance. Both run against the same database here (a drill runs them on two instances).
// (b) psql: `SELECT count(*)` per table, one psql run after another (process start included, a few ms each).
// Each is run ROUNDS times on a warm cache; the median is reported. Run: npx tsx bench/verifier.bench.ts
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { countRestored, countSource } from '../lambda/shared/row-counts.js';
import { type PostgresServer, startPostgres } from '../test/support/postgres.js';
import { DATABASE, load, median, ROUNDS, SETTLE_SECONDS, TABLES, timed } from './bench-data.js';

const run = promisify(execFile);
/** (b): one psql process per table, one after another; the machine's psql, or a pg client where there is none. */
async function psqlCounts(server: PostgresServer): Promise<Record<string, number>> {
  const psql = join(server.binDir, 'psql');
  const counts: Record<string, number> = {};
  for (const { name } of TABLES) {
    const sql = `SELECT count(*) FROM ${name}`;
    const output = existsSync(psql)
      ? (
          await run(psql, [
            '-X',
            '-At',
            '-h',
            server.host,
            '-p',
            String(server.port),
            '-U',
            'postgres',
            '-d',
            DATABASE,
            '-c',
            sql,
          ])
        ).stdout
      : await server.psql(sql, DATABASE);
    counts[name] = Number(output.trim());
  }
  return counts;
}

async function main(): Promise<void> {
  const server = await startPostgres();
  try {
    const loading = await timed(() => load(server));
    const sizes = await server.psql(
      `SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class
        WHERE relname IN ('users', 'platform_accounts', 'audit_logs')`,
      DATABASE,
    );
    const size = Object.fromEntries(sizes.split('\n').map((line) => line.split('|')));
    const connections = server.connectionFactory(DATABASE);

    await psqlCounts(server); // warm the cache
    const times = { psql: [] as number[], source: [] as number[], restored: [] as number[] };
    let source: Awaited<ReturnType<typeof countSource>> | undefined;
    let psqlResult: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round += 1) {
      const plain = await timed(() => psqlCounts(server));
      times.psql.push(plain.ms);
      psqlResult = plain.result;
      const counted = await timed(() =>
        countSource(connections, TABLES, { concurrency: 3, settleSeconds: SETTLE_SECONDS }),
      );
      times.source.push(counted.ms);
      source = counted.result;
      const cutoff = source.settleCutoff;
      times.restored.push((await timed(() => countRestored(connections, TABLES, cutoff, { concurrency: 3 }))).ms);
    }

    const psqlMs = median(times.psql);
    const rows = TABLES.map(({ name }) => {
      const counts = source?.tables[name];
      if (counts?.total !== psqlResult[name]) throw new Error(`${name}: verifier and psql disagree`);
      return `${name.padEnd(18)} ${String(counts.total).padStart(10)} ${String(counts.settled).padStart(10)} ${size[name].padStart(9)}`;
    });
    const total = Object.values(psqlResult).reduce((a, b) => a + b, 0);
    const line = (label: string, ms: number) =>
      `${label.padEnd(44)} ${ms.toFixed(0).padStart(7)} ${(ms / psqlMs).toFixed(2).padStart(8)}`;
    console.log(`loaded ${total} rows in ${(loading.ms / 1000).toFixed(1)} s (incl. VACUUM ANALYZE)\n`);
    console.log(`${'table'.padEnd(18)} ${'rows'.padStart(10)} ${'settled'.padStart(10)} ${'size'.padStart(9)}`);
    console.log(rows.join('\n'));
    console.log(`\nmedian of ${ROUNDS} rounds, warm cache`);
    console.log(`${'method'.padEnd(44)} ${'ms'.padStart(7)} ${'vs psql'.padStart(8)}`);
    console.log(line('(b) psql count(*), 3 tables sequentially', psqlMs));
    console.log(line('(a) countSource, concurrency 3', median(times.source)));
    console.log(line('(a) countRestored, concurrency 3', median(times.restored)));
    console.log(line('(a) countSource + countRestored', median(times.source) + median(times.restored)));
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
