// Dump + encrypt + upload against plain `pg_dump -Fc > file`, on a local PostgreSQL 15 of about 1 GB, and the
// job's peak memory at two database sizes (goal: flat in the dump's size).
//
// (a) pg_dump -Fc -f FILE: the baseline, on the same data, warm cache.
// (b) the job (jobs/logical-dump): one snapshot, pg_dump -Fc through the AWS Encryption SDK (raw AES keyring; in AWS
//     a KMS keyring, one GenerateDataKey a dump) into a multipart upload to a local S3 (moto_server), SHA-256 on the
//     way; timed to the end of the upload. The proof (download, decrypt, pg_restore into a throwaway server, counts)
//     is timed separately. Each job run is its own process, so maxRSS is the job's alone.
// Run: npm run bench -- logical-dump   (about 10 minutes on 2 cores; not part of CI)
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startLocalS3 } from '../test/support/moto.js';
import { type PostgresServer, startPostgres } from '../test/support/postgres.js';

const run = promisify(execFile);

/** Rows per unit of scale: one unit is about 250 MB on disk. */
async function load(server: PostgresServer, database: string, scale: number): Promise<string> {
  await server.createDatabase(database);
  await server.psql(
    `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL,
                         created_at timestamptz NOT NULL DEFAULT now());
     CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, platform text NOT NULL,
                                     oauth_token text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
     CREATE TABLE audit_logs (id bigserial PRIMARY KEY, user_id bigint, action text NOT NULL, detail text,
                              created_at timestamptz NOT NULL DEFAULT now());
     CREATE TABLE attachments (id bigserial PRIMARY KEY, content bytea NOT NULL, body text NOT NULL);`,
    database,
  );
  await server.psql(
    `INSERT INTO users (email, password_hash)
       SELECT 'user' || i || '@example.com', '$argon2id$v=19$m=65536,t=3,p=4$' || md5(i::text) || md5((-i)::text)
         FROM generate_series(1, ${400_000 * scale}) i;
     INSERT INTO platform_accounts (user_id, platform, oauth_token)
       SELECT i, (ARRAY['steam', 'meta', 'google'])[i % 3 + 1], md5('t' || i) || md5('u' || i) || md5('v' || i)
         FROM generate_series(1, ${600_000 * scale}) i;
     INSERT INTO audit_logs (user_id, action, detail)
       SELECT i % 400000, (ARRAY['login', 'logout', 'token_refresh'])[i % 3 + 1], md5(i::text) || md5((i * 7)::text)
         FROM generate_series(1, ${1_000_000 * scale}) i;
     INSERT INTO attachments (content, body)
       SELECT decode(string_agg(md5(i::text || '-' || j), ''), 'hex'), repeat('large text ' || i, 2000)
         FROM generate_series(1, ${500 * scale}) i, generate_series(1, 2000) j GROUP BY i;`,
    database,
  );
  await server.psql('VACUUM ANALYZE', database);
  return server.psql(`SELECT pg_database_size('${database}')`);
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

interface JobRun {
  uploadedMs: number;
  totalMs: number;
  bytes: number;
  verified: boolean;
  maxRssKiB: number;
}

async function job(server: PostgresServer, database: string, s3Endpoint: string, bucket: string): Promise<JobRun> {
  const args = { host: server.host, port: server.port, database, binDir: server.binDir, s3Endpoint, bucket };
  const { stdout } = await run('npx', ['tsx', 'bench/logical-dump-child.ts', JSON.stringify(args)], {
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const [server, s3] = await Promise.all([startPostgres(), startLocalS3()]);
  const work = await mkdtemp(join(tmpdir(), 'logical-dump-bench-'));
  try {
    const bucket = 'bench-dumps';
    await s3.createLockedBucket(bucket);
    const sizes: Record<string, number> = {};
    for (const [database, scale] of [
      ['bench_small', 1],
      ['bench_1gb', 4],
    ] as const) {
      const loaded = await timed(() => load(server, database, scale));
      sizes[database] = Number(loaded.result);
      console.log(
        `${database}: ${(sizes[database] / MB).toFixed(0)} MB on disk, loaded in ${(loaded.ms / 1000).toFixed(0)} s`,
      );
    }
    const rows: string[] = [];
    for (const database of ['bench_small', 'bench_1gb']) {
      const file = join(work, `${database}.dump`);
      // Warm the cache, then time the baseline.
      await run(join(server.binDir, 'pg_dump'), [
        '-Fc',
        '-h',
        server.host,
        '-p',
        String(server.port),
        '-U',
        'postgres',
        '-f',
        file,
        database,
      ]);
      const plain = await timed(() =>
        run(join(server.binDir, 'pg_dump'), [
          '-Fc',
          '-h',
          server.host,
          '-p',
          String(server.port),
          '-U',
          'postgres',
          '-f',
          file,
          database,
        ]),
      );
      const plainBytes = (await stat(file)).size;
      await rm(file);
      const jobRun = await job(server, database, s3.endpoint, bucket);
      const dbMb = sizes[database]! / MB;
      rows.push(
        [
          database.padEnd(12),
          `${dbMb.toFixed(0)} MB`.padStart(8),
          `${(plainBytes / MB).toFixed(0)} MB`.padStart(8),
          `${(plain.ms / 1000).toFixed(1)} s`.padStart(8),
          `${(dbMb / (plain.ms / 1000)).toFixed(1)}`.padStart(8),
          `${(jobRun.bytes / MB).toFixed(0)} MB`.padStart(8),
          `${(jobRun.uploadedMs / 1000).toFixed(1)} s`.padStart(8),
          `${(dbMb / (jobRun.uploadedMs / 1000)).toFixed(1)}`.padStart(8),
          `${(plain.ms / jobRun.uploadedMs).toFixed(2)}x`.padStart(7),
          `${((jobRun.totalMs - jobRun.uploadedMs) / 1000).toFixed(1)} s`.padStart(8),
          `${(jobRun.maxRssKiB / 1024).toFixed(0)} MB`.padStart(8),
          jobRun.verified ? 'verified' : 'NOT VERIFIED',
        ].join(' '),
      );
    }
    console.log(
      `\n${'database'.padEnd(12)} ${'on disk'.padStart(8)} ${'pg_dump'.padStart(8)} ${'time'.padStart(8)} ${'MB/s'.padStart(8)} ` +
        `${'job obj'.padStart(8)} ${'upload'.padStart(8)} ${'MB/s'.padStart(8)} ${'ratio'.padStart(7)} ${'proof'.padStart(8)} ` +
        `${'maxRSS'.padStart(8)}`,
    );
    console.log(rows.join('\n'));
    console.log(
      '\nratio = plain pg_dump time / job time to the end of the upload (goal >= 0.80x); maxRSS of the job process.',
    );
  } finally {
    await rm(work, { recursive: true, force: true });
    await Promise.all([server.stop(), s3.stop()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
