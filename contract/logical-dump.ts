// Names and shapes shared by the dump job, the CDK construct and the CLI (no AWS SDK here, so lib/ and cli/ can
// import it without pulling the job's dependencies).
import { z } from 'zod';
import { METRIC_SERVICES, METRICS_NAMESPACE } from './metrics.js';
import { resourceName } from './names.js';

export { LOGICAL_DUMP_METRICS } from './metrics.js';
/** The job's CloudWatch namespace and `service` dimension: the project's (contract/metrics.ts). */
export const LOGICAL_DUMP_NAMESPACE = METRICS_NAMESPACE;
export const LOGICAL_DUMP_SERVICE = METRIC_SERVICES.logicalDump;

/** The environment variables the task definition sets and `main.ts` parses. */
export const LOGICAL_DUMP_ENV = {
  environment: 'AUTHDB_ENVIRONMENT',
  bucket: 'DUMP_BUCKET',
  keyArn: 'DUMP_KMS_KEY_ARN',
  dbHost: 'DB_HOST',
  dbPort: 'DB_PORT',
  dbName: 'DB_NAME',
  dbUser: 'DB_USER',
  dbInstanceId: 'DB_INSTANCE_ID',
  region: 'AWS_REGION',
  caBundle: 'DB_CA_BUNDLE',
} as const;

/** Name of the dump bucket of an environment in one region (the primary's and the DR region's replica). */
export function dumpBucketName(environment: string, account: string, region: string): string {
  return resourceName(environment, 'logical-dumps', account, region);
}

/** Encryption context every archive carries; decryption refuses an archive whose context differs. */
export function encryptionContext(environment: string, dumpId: string): Record<string, string> {
  return { purpose: 'authdb-dr-logical-dump', environment, dumpId };
}

/** `20261130T183000Z`: sorts by time, safe in object keys. */
export function dumpIdOf(start: Date): string {
  return start
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const DUMP_ID = /^\d{8}T\d{6}Z$/;

/** Object keys of one dump: `dumps/ENV/YYYY/MM/ID.dump.enc` and its manifest beside it. */
export function objectKeys(environment: string, dumpId: string): { archive: string; manifest: string } {
  const prefix = `${dumpPrefix(environment)}${dumpId.slice(0, 4)}/${dumpId.slice(4, 6)}/${dumpId}`;
  return { archive: `${prefix}.dump.enc`, manifest: `${prefix}.manifest.json` };
}

export function dumpPrefix(environment: string): string {
  return `dumps/${environment}/`;
}

/** The dump id of an archive or manifest key of `environment`, or undefined when the key is not one. */
export function dumpIdFromKey(environment: string, key: string): string | undefined {
  const prefix = dumpPrefix(environment).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^${prefix}\\d{4}/\\d{2}/(\\d{8}T\\d{6}Z)\\.(dump\\.enc|manifest\\.json)$`).exec(key);
  return match?.[1];
}

const tableCount = z.object({ schema: z.string(), table: z.string(), rows: z.number().int().nonnegative() });
export type TableCount = z.infer<typeof tableCount>;

export const verificationSchema = z.object({
  status: z.enum(['verified', 'failed']),
  at: z.iso.datetime(),
  /** What failed (checksum, decrypt, restore, counts), without any secret. */
  error: z.string().optional(),
  /** Tables whose restored count differs from the manifest; null = the table is missing on that side. */
  mismatches: z
    .array(
      z.object({
        schema: z.string(),
        table: z.string(),
        expected: z.number().nullable(),
        restored: z.number().nullable(),
      }),
    )
    .default([]),
  restoreSeconds: z.number().nonnegative().optional(),
});
export type Verification = z.infer<typeof verificationSchema>;

export const manifestSchema = z.object({
  version: z.literal(1),
  dumpId: z.string().regex(DUMP_ID),
  environment: z.string(),
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime(),
  source: z.object({ instanceId: z.string(), database: z.string(), engineVersion: z.string() }),
  pgDumpVersion: z.string(),
  archive: z.object({
    key: z.string(),
    bytes: z.number().int().nonnegative(),
    /** Of the encrypted object, hex. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    encryption: z.object({ sdk: z.literal('aws-encryption-sdk'), context: z.record(z.string(), z.string()) }),
  }),
  /** Row counts read in the snapshot the dump read. */
  tables: z.array(tableCount),
  verification: verificationSchema.optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export type Mismatch = Verification['mismatches'][number];

/** Every table whose count differs between the manifest and what was restored, in either direction. */
export function compareCounts(expected: readonly TableCount[], restored: readonly TableCount[]): Mismatch[] {
  const name = (t: TableCount) => `${t.schema}.${t.table}`;
  const got = new Map(restored.map((t) => [name(t), t.rows]));
  const want = new Map(expected.map((t) => [name(t), t.rows]));
  const mismatches: Mismatch[] = [];
  for (const t of expected) {
    const rows = got.get(name(t));
    if (rows !== t.rows)
      mismatches.push({ schema: t.schema, table: t.table, expected: t.rows, restored: rows ?? null });
  }
  for (const t of restored) {
    if (!want.has(name(t))) mismatches.push({ schema: t.schema, table: t.table, expected: null, restored: t.rows });
  }
  return mismatches;
}

export function describeMismatches(mismatches: readonly Mismatch[]): string {
  return mismatches
    .map((m) => `${m.schema}.${m.table}: manifest ${m.expected ?? 'absent'}, restored ${m.restored ?? 'absent'}`)
    .join('; ');
}

/** Parses manifest JSON text; names the key and the fields that are wrong. */
export function parseManifest(text: string, key: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`Manifest ${key} is not JSON`);
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`Manifest ${key} is not a logical dump manifest (${fields})`);
  }
  return parsed.data;
}
