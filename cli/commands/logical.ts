import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyringNode } from '@aws-crypto/client-node';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import {
  compareCounts,
  describeMismatches,
  dumpBucketName,
  dumpIdFromKey,
  dumpPrefix,
  encryptionContext,
  type Manifest,
  objectKeys,
} from '../../contract/logical-dump.js';
import { downloadVerified, getManifest } from '../../jobs/logical-dump/archive.js';
import { connectLibpq } from '../../jobs/logical-dump/connection.js';
import { kmsDiscoveryKeyring } from '../../jobs/logical-dump/crypto.js';
import { decryptIntoPgRestore, decryptIntoWritable } from '../../jobs/logical-dump/restore.js';
import { countTables } from '../../jobs/logical-dump/snapshot.js';
import { type CliDeps, type Environment, EXIT, type ExitCode, print, UsageError } from '../context.js';
import { type Done, envAction } from '../env-command.js';
import { inspectTarget, parseTargetUrl, restorePlan } from '../logical-target.js';

/** What the logical commands use besides the shared CLI deps; tests pass a local S3 and a raw AES keyring. */
export interface LogicalDeps {
  s3: (region: string) => S3Client;
  /** Decrypts archives of `account` through KMS in `region`. */
  keyring: (region: string, account: string) => KeyringNode;
  /** PostgreSQL 15 client binaries (pg_restore). */
  binDir: string;
}

export function defaultLogicalDeps(): LogicalDeps {
  return {
    s3: (region) => new S3Client({ region }),
    keyring: kmsDiscoveryKeyring,
    binDir: '/usr/lib/postgresql/15/bin',
  };
}

interface Location {
  region: string;
  bucket: string;
}

function location(env: Environment, fromDr: boolean | undefined): Location {
  const region = fromDr ? env.config.drRegion : env.config.primaryRegion;
  return { region, bucket: dumpBucketName(env.name, env.config.account, region) };
}

const DUMP_ID = /^\d{8}T\d{6}Z$/;

function dumpIdOf(env: Environment, value: string): string {
  const id = DUMP_ID.test(value) ? value : dumpIdFromKey(env.name, value);
  if (!id) {
    throw new UsageError(
      `dump = ${JSON.stringify(value)}; allowed: a dump id such as 20261130T183000Z or its key ` +
        `${dumpPrefix(env.name)}YYYY/MM/ID.dump.enc (see authdb-dr logical list) [--dump]`,
    );
  }
  return id;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function listDumps(deps: CliDeps, logical: LogicalDeps, env: Environment, at: Location): Promise<ExitCode> {
  const s3 = logical.s3(at.region);
  const manifests: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: at.bucket, Prefix: dumpPrefix(env.name), ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (object.Key?.endsWith('.manifest.json')) manifests.push(object.Key);
    }
    token = page.NextContinuationToken;
  } while (token);
  print(deps, `${'DUMP'.padEnd(18)}${'ENDED (UTC)'.padEnd(22)}${'SIZE'.padStart(12)}  STATUS`);
  for (const key of manifests.sort()) {
    const m = await getManifest(s3, at.bucket, key);
    const status = m.verification?.status ?? 'not verified';
    print(
      deps,
      `${m.dumpId.padEnd(18)}${m.endedAt.slice(0, 19).padEnd(22)}${mib(m.archive.bytes).padStart(12)}  ${status}`,
    );
  }
  if (manifests.length === 0) print(deps, `(no dumps in s3://${at.bucket}/${dumpPrefix(env.name)})`);
  return EXIT.ok;
}

interface RestoreFlags {
  env: string;
  dump: string;
  targetUrl?: string;
  toFile?: string;
  clean?: boolean;
  fromDr?: boolean;
}

async function restoreDump(
  deps: CliDeps,
  logical: LogicalDeps,
  env: Environment,
  at: Location,
  flags: RestoreFlags,
): Promise<ExitCode> {
  const dumpId = dumpIdOf(env, flags.dump);
  if ((flags.targetUrl === undefined) === (flags.toFile === undefined)) {
    throw new UsageError('Give exactly one of --target-url (restore into PostgreSQL) or --to-file (decrypted archive)');
  }
  const target = flags.targetUrl === undefined ? undefined : parseTargetUrl(flags.targetUrl);
  const s3 = logical.s3(at.region);
  const keys = objectKeys(env.name, dumpId);
  let manifest: Manifest;
  try {
    manifest = await getManifest(s3, at.bucket, keys.manifest);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see authdb-dr logical list --env ${env.name} [--dump]`);
  }
  if (manifest.verification?.status !== 'verified') {
    deps.err(`warning: dump ${dumpId} was not proven restorable (${manifest.verification?.error ?? 'no result'})\n`);
  }
  // Before any download: a target that would be overwritten without --clean is refused now.
  const plan =
    target &&
    restorePlan(target, manifest, await inspectTarget(target, manifest.source.database), flags.clean === true);

  const work = await mkdtemp(join(tmpdir(), 'authdb-dr-restore-'));
  try {
    // The archive stays encrypted on disk; it is checked against the manifest before anything is decrypted.
    const file = join(work, 'archive.enc');
    let shown = 0;
    await downloadVerified(s3, at.bucket, manifest, file, (bytes) => {
      if (bytes - shown >= 64 * 1024 * 1024 || bytes === manifest.archive.bytes) {
        shown = bytes;
        deps.err(`downloaded ${bytes} / ${manifest.archive.bytes} bytes\n`);
      }
    });
    print(deps, `checksum ok: ${manifest.archive.sha256} (${manifest.archive.bytes} bytes)`);
    const keyring = logical.keyring(at.region, env.config.account);
    const context = encryptionContext(env.name, dumpId);
    if (flags.toFile !== undefined) {
      const path = flags.toFile;
      // 'wx': never overwrite an existing file; 0600: the decrypted archive holds password hashes and tokens.
      await decryptIntoWritable(createReadStream(file), keyring, context, () =>
        createWriteStream(path, { flags: 'wx', mode: 0o600 }),
      );
      print(deps, `decrypted archive written to ${path} (pg_restore --list ${path} to inspect)`);
      return EXIT.ok;
    }
    await decryptIntoPgRestore(createReadStream(file), keyring, context, { binDir: logical.binDir, ...plan! });
    const restored = await connectLibpq(
      { ...target!, database: manifest.source.database },
      'authdb-dr-logical-restore',
    );
    let mismatches: ReturnType<typeof compareCounts>;
    try {
      mismatches = compareCounts(manifest.tables, await countTables(restored));
    } finally {
      await restored.end().catch(() => {});
    }
    for (const t of manifest.tables)
      print(deps, `  ${`${t.schema}.${t.table}`.padEnd(40)}${String(t.rows).padStart(12)} rows`);
    if (mismatches.length > 0) {
      deps.err(`Row counts differ from the manifest: ${describeMismatches(mismatches)}\n`);
      return EXIT.failed;
    }
    print(deps, `restored ${manifest.source.database} from dump ${dumpId}: every table's count matches the manifest`);
    return EXIT.ok;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function registerLogical(
  program: Command,
  deps: CliDeps,
  done: Done,
  logical: LogicalDeps = defaultLogicalDeps(),
) {
  const group = program.command('logical').description('logical backups (pg_dump archives in the Object Lock bucket)');
  const list = group
    .command('list')
    .description('list the dumps: time, size, verified or not')
    .option('--from-dr', 'read the DR-region replica bucket');
  envAction(list, deps, done, (env, flags: { env: string; fromDr?: boolean }) =>
    listDumps(deps, logical, env, location(env, flags.fromDr)),
  );
  const restore = group
    .command('restore')
    .description('download a dump, check its SHA-256, decrypt it and pg_restore it (or write it with --to-file)')
    .requiredOption('--dump <id>', 'dump id or key (see logical list)')
    .option('--target-url <url>', 'postgresql://USER@HOST:PORT/postgres?sslmode=verify-full&sslrootcert=CA.pem')
    .option('--clean', 'drop and recreate the database if it exists (pg_restore --clean --create)')
    .option('--to-file <path>', 'write the decrypted archive (pg_dump -Fc format) instead of restoring')
    .option('--from-dr', 'read the DR-region replica bucket (KMS in the DR region)');
  envAction(restore, deps, done, (env, flags: RestoreFlags) =>
    restoreDump(deps, logical, env, location(env, flags.fromDr), flags),
  );
}
