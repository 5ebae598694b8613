// Entry point of the logical dump task (ECS Fargate): reads its settings from the environment the task definition
// sets, runs the job once and exits 0 only when the dump was uploaded and proven restorable.
import { S3Client } from '@aws-sdk/client-s3';
import { Signer } from '@aws-sdk/rds-signer';
import { z } from 'zod';
import { LOGICAL_DUMP_ENV as ENV, LOGICAL_DUMP_METRICS, LOGICAL_DUMP_SERVICE } from '../../contract/logical-dump.js';
import { createLogger, createMetrics } from '../../lambda/shared/observability.js';
import { kmsKeyring } from './crypto.js';
import { type DumpJobResult, runDumpJob } from './job.js';
import { startScratchPostgres } from './scratch-postgres.js';

/** PostgreSQL 15 binaries in the image (Debian's postgresql-15 package). */
const BIN_DIR = '/usr/lib/postgresql/15/bin';

const settingsSchema = z.object({
  [ENV.environment]: z.string().min(1),
  [ENV.bucket]: z.string().min(3),
  [ENV.keyArn]: z
    .string()
    .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/, { message: 'a KMS key ARN' }),
  [ENV.dbHost]: z.string().min(1),
  [ENV.dbPort]: z.coerce.number().int().min(1).max(65535),
  [ENV.dbName]: z.string().min(1),
  [ENV.dbUser]: z.string().min(1),
  [ENV.dbInstanceId]: z.string().min(1),
  [ENV.region]: z.string().min(1),
  [ENV.caBundle]: z.string().min(1),
});

/** What the freshness alarm and the failure alarm read (EMF on stdout: the task's log group carries them). */
export interface OutcomeMetrics {
  addMetric(name: string, unit: 'Count' | 'Bytes' | 'Seconds', value: number): void;
  publishStoredMetrics(): void;
}

export function reportOutcome(metrics: OutcomeMetrics, outcome: DumpJobResult | undefined, seconds: number): void {
  const verified = outcome?.verified === true;
  metrics.addMetric(LOGICAL_DUMP_METRICS.verified, 'Count', verified ? 1 : 0);
  metrics.addMetric(LOGICAL_DUMP_METRICS.failed, 'Count', verified ? 0 : 1);
  metrics.addMetric(LOGICAL_DUMP_METRICS.durationSeconds, 'Seconds', seconds);
  if (outcome) metrics.addMetric(LOGICAL_DUMP_METRICS.bytes, 'Bytes', outcome.manifest.archive.bytes);
  metrics.publishStoredMetrics();
}

export async function main(env: NodeJS.ProcessEnv): Promise<number> {
  const logger = createLogger(LOGICAL_DUMP_SERVICE);
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    // Names and problems only: values may not be printed (none is secret, but the rule is simple).
    logger.error('bad task settings', { issues: parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`) });
    return 2;
  }
  const s = parsed.data;
  const metrics = createMetrics(LOGICAL_DUMP_SERVICE, s[ENV.environment]);
  const started = Date.now();
  let outcome: DumpJobResult | undefined;
  try {
    // IAM database authentication: a 15-minute token signed with the task role; pg_dump uses it once, at connect.
    const token = await new Signer({
      hostname: s[ENV.dbHost],
      port: s[ENV.dbPort],
      username: s[ENV.dbUser],
      region: s[ENV.region],
    }).getAuthToken();
    outcome = await runDumpJob({
      s3: new S3Client({ region: s[ENV.region] }),
      bucket: s[ENV.bucket],
      keyring: kmsKeyring(s[ENV.keyArn]),
      environment: s[ENV.environment],
      instanceId: s[ENV.dbInstanceId],
      source: {
        host: s[ENV.dbHost],
        port: s[ENV.dbPort],
        database: s[ENV.dbName],
        user: s[ENV.dbUser],
        password: token,
        sslmode: 'verify-full',
        sslrootcert: s[ENV.caBundle],
      },
      binDir: BIN_DIR,
      scratch: () => startScratchPostgres(BIN_DIR),
      now: () => new Date(),
      log: (message, fields) => logger.info(message, fields ?? {}),
    });
  } catch (error) {
    logger.error('logical dump failed', { error: (error as Error).message });
  }
  reportOutcome(metrics, outcome, (Date.now() - started) / 1000);
  return outcome?.verified ? 0 : 1;
}

// Run only as the task's entry point (`node main.js`), not when imported by tests.
if (process.argv[1]?.endsWith('/main.js')) {
  main(process.env).then((code) => process.exit(code));
}
