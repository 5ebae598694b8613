// One run of the dump job in its own process, so its peak memory (maxRSS) is the job's alone. Started by
// bench/logical-dump.bench.ts with a JSON argument; prints one JSON line with timings and maxRSS.

import { S3Client } from '@aws-sdk/client-s3';
import { runDumpJob } from '../jobs/logical-dump/job.js';
import { startScratchPostgres } from '../jobs/logical-dump/scratch-postgres.js';
import { rawKeyring } from '../test/jobs/logical-dump-fixture.js';

interface Args {
  host: string;
  port: number;
  database: string;
  binDir: string;
  s3Endpoint: string;
  bucket: string;
}

async function main(): Promise<void> {
  const args: Args = JSON.parse(process.argv[2]!);
  const client = new S3Client({
    endpoint: args.s3Endpoint,
    region: 'ap-northeast-2',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const marks: Record<string, number> = {};
  const start = Date.now();
  let tick = Date.parse('2026-01-01T00:00:00Z') + Math.floor(Math.random() * 1e6) * 60_000;
  const result = await runDumpJob({
    s3: client,
    bucket: args.bucket,
    keyring: rawKeyring(),
    environment: 'bench',
    instanceId: 'bench',
    source: { host: args.host, port: args.port, database: args.database, user: 'postgres', sslmode: 'disable' },
    binDir: args.binDir,
    scratch: () => startScratchPostgres(args.binDir),
    now: () => {
      tick += 1000;
      return new Date(tick);
    },
    log: (message) => {
      marks[message] = Date.now() - start;
    },
  });
  console.log(
    JSON.stringify({
      uploadedMs: marks['dump uploaded'],
      totalMs: Date.now() - start,
      bytes: result.manifest.archive.bytes,
      verified: result.verified,
      maxRssKiB: process.resourceUsage().maxRSS,
    }),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
