import {
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectKeys } from '../../contract/logical-dump.js';
import { type DumpJobDeps, proveDump, runDumpJob } from '../../jobs/logical-dump/job.js';
import { startScratchPostgres } from '../../jobs/logical-dump/scratch-postgres.js';
import { type LocalS3, startLocalS3 } from '../support/moto.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { rawKeyring, SECRET_MARKER, seed } from './logical-dump-fixture.js';

const BUCKET = 'authdb-dr-test-dumps';
let server: PostgresServer;
let s3: LocalS3;
let client: S3Client;
const keyring = rawKeyring();
let clock = Date.parse('2026-11-30T18:30:00Z');

beforeAll(async () => {
  [server, s3] = await Promise.all([startPostgres(), startLocalS3()]);
  client = s3.client();
  await s3.createLockedBucket(BUCKET);
  await server.createDatabase('authdb');
  await seed(server, 'authdb');
});

afterAll(async () => {
  await Promise.all([server?.stop(), s3?.stop()]);
});

function deps(overrides: Partial<DumpJobDeps> = {}): DumpJobDeps {
  // Every run gets its own minute, so its dump id (and keys) are its own.
  clock += 60_000;
  const start = clock;
  let tick = 0;
  return {
    s3: client,
    bucket: BUCKET,
    keyring,
    environment: 'test',
    instanceId: 'authdb-test',
    source: { host: server.host, port: server.port, database: 'authdb', user: 'postgres', sslmode: 'disable' },
    binDir: server.binDir,
    scratch: () => startScratchPostgres(server.binDir),
    now: () => new Date(start + 1000 * tick++),
    log: () => {},
    ...overrides,
  };
}

async function bytesOf(key: string): Promise<Buffer> {
  const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

describe('the logical dump job', () => {
  it('dumps in one snapshot, encrypts, uploads, and proves the dump by restoring it', async () => {
    const { manifest, verified } = await runDumpJob(deps());
    expect(verified).toBe(true);
    expect(manifest.verification).toMatchObject({ status: 'verified', mismatches: [] });
    expect(manifest.tables).toEqual([
      { schema: 'public', table: 'attachments', rows: 3 },
      { schema: 'public', table: 'audit_logs', rows: 500 },
      { schema: 'public', table: 'platform_accounts', rows: 300 },
      { schema: 'public', table: 'users', rows: 200 },
    ]);
    expect(manifest.source).toEqual({
      instanceId: 'authdb-test',
      database: 'authdb',
      engineVersion: expect.stringMatching(/^15\./),
    });
    expect(manifest.pgDumpVersion).toMatch(/^pg_dump \(PostgreSQL\) 15\./);

    // The object is what the manifest says, and unreadable without the key.
    const stored = await bytesOf(manifest.archive.key);
    expect(stored.length).toBe(manifest.archive.bytes);
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(stored).digest('hex')).toBe(manifest.archive.sha256);
    expect(stored.includes(Buffer.from(SECRET_MARKER))).toBe(false);
    expect(stored.includes(Buffer.from('PGDMP'))).toBe(false);

    // The manifest was written before the proof and again with its result: two versions, the newest verified.
    const keys = objectKeys('test', manifest.dumpId);
    const versions = await client.send(new ListObjectVersionsCommand({ Bucket: BUCKET, Prefix: keys.manifest }));
    expect(versions.Versions?.length).toBe(2);
    const latest = JSON.parse((await bytesOf(keys.manifest)).toString('utf8'));
    expect(latest.verification.status).toBe('verified');
  });

  it('counts and dumps the same snapshot: rows and tables added after it are in neither', async () => {
    const { manifest, verified } = await runDumpJob(
      deps({
        afterSnapshot: async () => {
          await server.psql(
            `INSERT INTO users (email, password_hash) SELECT 'late' || i, 'x' FROM generate_series(1, 7) i;
             CREATE TABLE added_later (id int); INSERT INTO added_later VALUES (1), (2);`,
            'authdb',
          );
        },
      }),
    );
    try {
      expect(verified).toBe(true);
      expect(manifest.tables.find((t) => t.table === 'users')?.rows).toBe(200);
      expect(manifest.tables.map((t) => t.table)).not.toContain('added_later');
    } finally {
      await server.psql(`DROP TABLE added_later; DELETE FROM users WHERE email LIKE 'late%'`, 'authdb');
    }
  });

  describe('the proof fails, naming the cause', () => {
    it('when the stored object is corrupted (checksum)', async () => {
      const { manifest } = await runDumpJob(deps());
      const bytes = await bytesOf(manifest.archive.key);
      bytes[Math.floor(bytes.length / 2)] ^= 0xff;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: manifest.archive.key, Body: bytes }));
      const verification = await proveDump(deps(), manifest);
      expect(verification.status).toBe('failed');
      expect(verification.error).toMatch(/Checksum mismatch .* SHA-256/);
    });

    it('when the stored object is truncated', async () => {
      const { manifest } = await runDumpJob(deps());
      const bytes = await bytesOf(manifest.archive.key);
      await client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: manifest.archive.key,
          Body: bytes.subarray(0, bytes.length - 1000),
        }),
      );
      const verification = await proveDump(deps(), manifest);
      expect(verification.status).toBe('failed');
      expect(verification.error).toMatch(new RegExp(`Checksum mismatch .* read ${bytes.length - 1000} bytes`));
    });

    it('when the key is not the one the archive was encrypted with', async () => {
      const { manifest } = await runDumpJob(deps());
      const verification = await proveDump(deps({ keyring: rawKeyring() }), manifest);
      expect(verification.status).toBe('failed');
      expect(verification.error).toMatch(/Cannot decrypt the archive/);
    });

    it('when a table restores with another count than the manifest holds', async () => {
      const { manifest } = await runDumpJob(deps());
      const altered = {
        ...manifest,
        tables: manifest.tables.map((t) => (t.table === 'users' ? { ...t, rows: 201 } : t)),
      };
      const verification = await proveDump(deps(), altered);
      expect(verification.status).toBe('failed');
      expect(verification.mismatches).toEqual([{ schema: 'public', table: 'users', expected: 201, restored: 200 }]);
    });
  });

  it('completes no upload when pg_dump fails', async () => {
    const environment = 'test-nodump';
    await expect(
      runDumpJob({
        ...deps(),
        environment,
        // The exporting session dies, so pg_dump cannot import the snapshot and exits 1.
        afterSnapshot: async () => {
          await server.psql(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'authdb-dr-logical-dump'`,
          );
        },
      }),
    ).rejects.toThrow(/pg_dump failed \(exit 1\): .*snapshot/);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `dumps/${environment}/` }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });
});
