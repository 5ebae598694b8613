import { pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import type { KeyringNode } from '@aws-crypto/client-node';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  compareCounts,
  describeMismatches,
  dumpIdOf,
  encryptionContext,
  type Manifest,
  objectKeys,
  type Verification,
} from '../../contract/logical-dump.js';
import { checkDigest, objectStream, putManifest, uploadStream } from './archive.js';
import { connectLibpq } from './connection.js';
import { DigestStream, encryptingStream } from './crypto.js';
import { decryptIntoPgRestore } from './restore.js';
import type { ScratchPostgres } from './scratch-postgres.js';
import { countTables, exited, type LibpqConnection, openSnapshot, pgDumpVersion, startPgDump } from './snapshot.js';

export interface DumpJobDeps {
  s3: S3Client;
  bucket: string;
  /** KMS keyring in AWS; a raw AES keyring of the same SDK in tests. */
  keyring: KeyringNode;
  environment: string;
  instanceId: string;
  /** The source database, as the read-only dump role. */
  source: LibpqConnection;
  /** Where pg_dump, pg_restore, initdb and pg_ctl of PostgreSQL 15 are. */
  binDir: string;
  scratch: () => Promise<ScratchPostgres>;
  now: () => Date;
  log: (message: string, fields?: Record<string, unknown>) => void;
  /** Runs after the snapshot is exported and counted, before pg_dump reads it. @default nothing */
  afterSnapshot?: () => Promise<void>;
}

export interface DumpJobResult {
  manifest: Manifest;
  verified: boolean;
}

/**
 * Holds back the end of the archive until pg_dump has exited 0, so a failed dump never completes an upload (the
 * upload is aborted instead). It does not end the stream with an error: destroying the Encryption SDK's stream
 * mid-message raises an uncaught error inside the SDK.
 */
function endOnlyAfter(done: Promise<void>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      done.then(
        () => callback(),
        () => {},
      );
    },
  });
}

/**
 * One run of the job: dump the source in one snapshot, encrypt and upload while streaming, write the manifest, then
 * prove the dump by restoring it into a throwaway PostgreSQL and comparing every table's count. The manifest is
 * written again with the verification's result (a new version; the first stays locked beside it).
 */
export async function runDumpJob(deps: DumpJobDeps): Promise<DumpJobResult> {
  const started = deps.now();
  const dumpId = dumpIdOf(started);
  const keys = objectKeys(deps.environment, dumpId);
  const context = encryptionContext(deps.environment, dumpId);
  const pgDump = await pgDumpVersion(deps.binDir);

  const client = await connectLibpq(deps.source, 'authdb-dr-logical-dump');
  let manifest: Manifest;
  try {
    const snapshot = await openSnapshot(client);
    try {
      deps.log('snapshot exported', { dumpId, snapshot: snapshot.id, tables: snapshot.tables.length });
      await deps.afterSnapshot?.();
      const dump = startPgDump(deps.binDir, deps.source, snapshot.id);
      const dumpDone = exited(dump, 'pg_dump');
      const encrypted = pipeline(
        dump.stdout,
        endOnlyAfter(dumpDone),
        encryptingStream(deps.keyring, context),
        () => {},
      ) as Readable;
      const [stored] = await Promise.all([
        uploadStream(deps.s3, deps.bucket, keys.archive, encrypted, dumpDone),
        dumpDone,
      ]);
      manifest = {
        version: 1,
        dumpId,
        environment: deps.environment,
        startedAt: started.toISOString(),
        endedAt: deps.now().toISOString(),
        source: { instanceId: deps.instanceId, database: deps.source.database, engineVersion: snapshot.engineVersion },
        pgDumpVersion: pgDump,
        archive: {
          key: keys.archive,
          bytes: stored.bytes,
          sha256: stored.sha256,
          encryption: { sdk: 'aws-encryption-sdk', context },
        },
        tables: snapshot.tables,
      };
    } finally {
      await snapshot.release().catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
  await putManifest(deps.s3, deps.bucket, keys.manifest, manifest);
  deps.log('dump uploaded', {
    dumpId,
    key: keys.archive,
    bytes: manifest.archive.bytes,
    sha256: manifest.archive.sha256,
  });

  const verification = await proveDump(deps, manifest);
  const final = { ...manifest, verification };
  await putManifest(deps.s3, deps.bucket, keys.manifest, final);
  deps.log(`dump ${verification.status}`, { dumpId, ...verification });
  return { manifest: final, verified: verification.status === 'verified' };
}

/**
 * Streams the stored archive back, decrypts it into a throwaway PostgreSQL 15 with pg_restore, checks the SHA-256
 * and compares every table's count with the manifest. Never throws: a failure is the verification's result.
 */
export async function proveDump(
  deps: Pick<DumpJobDeps, 's3' | 'bucket' | 'keyring' | 'binDir' | 'scratch' | 'now'>,
  manifest: Manifest,
): Promise<Verification> {
  const started = deps.now();
  const result = (fields: Omit<Verification, 'at' | 'mismatches'> & { mismatches?: Verification['mismatches'] }) => ({
    mismatches: [],
    ...fields,
    at: deps.now().toISOString(),
    restoreSeconds: (deps.now().getTime() - started.getTime()) / 1000,
  });
  let scratch: ScratchPostgres | undefined;
  try {
    scratch = await deps.scratch();
    const digest = new DigestStream();
    const body = pipeline(await objectStream(deps.s3, deps.bucket, manifest.archive.key), digest, () => {});
    const connection = { host: scratch.host, port: scratch.port, user: scratch.user, sslmode: 'disable' as const };
    try {
      await decryptIntoPgRestore(body, deps.keyring, manifest.archive.encryption.context, {
        binDir: deps.binDir,
        connection: { ...connection, database: 'postgres' },
        // The dump role's ownerships and grants mean nothing in the throwaway server.
        args: ['--create', '--no-owner', '--no-privileges'],
      });
    } finally {
      // A corrupted object usually breaks decryption first; the checksum names the real cause.
      checkDigestIfEnded(digest, manifest);
    }
    checkDigest({ bytes: digest.bytes, sha256: digest.sha256() }, manifest);
    const restored = await connectLibpq({ ...connection, database: manifest.source.database }, 'authdb-dr-prove');
    try {
      const mismatches = compareCounts(manifest.tables, await countTables(restored));
      if (mismatches.length > 0) {
        return result({ status: 'failed', error: `Row counts differ: ${describeMismatches(mismatches)}`, mismatches });
      }
    } finally {
      await restored.end().catch(() => {});
    }
    return result({ status: 'verified' });
  } catch (error) {
    return result({ status: 'failed', error: (error as Error).message });
  } finally {
    await scratch?.stop();
  }
}

function checkDigestIfEnded(digest: DigestStream, manifest: Manifest): void {
  if (digest.writableFinished) checkDigest({ bytes: digest.bytes, sha256: digest.sha256() }, manifest);
}
