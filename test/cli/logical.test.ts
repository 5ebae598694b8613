import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LogicalDeps, registerLogical } from '../../cli/commands/logical.js';
import { type CliDeps, UsageError } from '../../cli/context.js';
import { dumpBucketName, type Manifest } from '../../contract/logical-dump.js';
import { runDumpJob } from '../../jobs/logical-dump/job.js';
import { startScratchPostgres } from '../../jobs/logical-dump/scratch-postgres.js';
import { knownEnvironments, loadConfig } from '../../lib/config/load.js';
import { rawKeyring, seed } from '../jobs/logical-dump-fixture.js';
import { type LocalS3, startLocalS3 } from '../support/moto.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';

const dev = loadConfig('dev');
const BUCKET = dumpBucketName('dev', dev.account, dev.primaryRegion);
const keyring = rawKeyring();
let source: PostgresServer;
let target: PostgresServer;
let s3: LocalS3;
let client: S3Client;
let manifest: Manifest;
let work: string;

beforeAll(async () => {
  [source, target, s3] = await Promise.all([startPostgres(), startPostgres(), startLocalS3()]);
  client = s3.client();
  await s3.createLockedBucket(BUCKET);
  await source.createDatabase('authdb');
  await seed(source, 'authdb');
  work = await mkdtemp(join(tmpdir(), 'logical-cli-'));
  ({ manifest } = await runDumpJob({
    s3: client,
    bucket: BUCKET,
    keyring,
    environment: 'dev',
    instanceId: 'authdb-dev',
    source: { host: source.host, port: source.port, database: 'authdb', user: 'postgres', sslmode: 'disable' },
    binDir: source.binDir,
    scratch: () => startScratchPostgres(source.binDir),
    now: () => new Date('2026-11-29T18:30:00Z'),
    log: () => {},
  }));
});

afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop(), s3?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
});

async function cli(args: string[], logical: Partial<LogicalDeps> = {}) {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    sfn: () => {
      throw new Error('no Step Functions here');
    },
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    now: () => new Date(),
    sleep: async () => {},
    tty: false,
    environments: knownEnvironments,
    config: (name) => loadConfig(name),
  };
  const program = new Command('authdb-dr').exitOverride().configureOutput({ writeOut: deps.out, writeErr: deps.err });
  let code = 0;
  registerLogical(
    program,
    deps,
    async (action) => {
      code = await action;
    },
    { s3: () => client, keyring: () => keyring, binDir: source.binDir, ...logical },
  );
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    code = error instanceof CommanderError || error instanceof UsageError ? 2 : 1;
    err += `${(error as Error).message}\n`;
  }
  return { code, out, err };
}

const targetUrl = () => `postgresql://postgres@127.0.0.1:${target.port}/postgres?sslmode=disable`;
const markerCount = async () => target.psql(`SELECT count(*) FROM users WHERE email = 'marker@example.com'`, 'authdb');

describe('authdb-dr logical', () => {
  it('list: shows each dump with its time, size and whether it was proven restorable', async () => {
    const { code, out } = await cli(['logical', 'list', '--env', 'dev']);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`${manifest.dumpId}\\s+2026-11-29T18:30:0\\d\\s+[\\d.]+ MiB\\s+verified`));
  });

  it('restore: downloads, checks the checksum, decrypts, restores and compares every count', async () => {
    const { code, out, err } = await cli([
      ...['logical', 'restore', '--env', 'dev', '--dump', manifest.dumpId, '--target-url', targetUrl()],
    ]);
    expect(err).toMatch(new RegExp(`downloaded ${manifest.archive.bytes} / ${manifest.archive.bytes} bytes`));
    expect(code).toBe(0);
    expect(out).toContain("every table's count matches the manifest");
    expect(await target.psql('SELECT count(*) FROM users', 'authdb')).toBe('200');
    expect(await target.psql('SELECT count(*) FROM attachments', 'authdb')).toBe('3');
  });

  it('refuses a target database that is not empty without --clean, changing nothing', async () => {
    await target.psql(`INSERT INTO users (email, password_hash) VALUES ('marker@example.com', 'x')`, 'authdb');
    const { code, err } = await cli([
      'logical',
      'restore',
      '--env',
      'dev',
      '--dump',
      manifest.dumpId,
      '--target-url',
      targetUrl(),
    ]);
    expect(code).toBe(2);
    expect(err).toMatch(/Target database authdb on 127\.0\.0\.1:\d+ is not empty \(4 tables\); nothing was changed/);
    expect(await markerCount()).toBe('1');
  });

  it('refuses a corrupted object (checksum), changing nothing', async () => {
    const object = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: manifest.archive.key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    bytes[100] ^= 0x01;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: manifest.archive.key, Body: bytes }));
    try {
      const { code, err } = await cli([
        ...['logical', 'restore', '--env', 'dev', '--dump', manifest.dumpId, '--clean', '--target-url', targetUrl()],
      ]);
      expect(code).toBe(1);
      expect(err).toContain(`Checksum mismatch for ${manifest.archive.key}`);
      expect(await markerCount()).toBe('1');
    } finally {
      bytes[100] ^= 0x01;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: manifest.archive.key, Body: bytes }));
    }
  });

  it('refuses an archive it has no key for, changing nothing', async () => {
    const { code, err } = await cli(
      ['logical', 'restore', '--env', 'dev', '--dump', manifest.dumpId, '--clean', '--target-url', targetUrl()],
      { keyring: () => rawKeyring() },
    );
    expect(code).toBe(1);
    expect(err).toContain('Cannot decrypt the archive');
    expect(await markerCount()).toBe('1');
  });

  it('with --clean, drops and recreates the database from the dump', async () => {
    const { code } = await cli([
      ...['logical', 'restore', '--env', 'dev', '--dump', manifest.dumpId, '--clean', '--target-url', targetUrl()],
    ]);
    expect(code).toBe(0);
    expect(await markerCount()).toBe('0');
    expect(await target.psql('SELECT count(*) FROM users', 'authdb')).toBe('200');
  });

  it('--to-file writes the decrypted pg_dump archive for inspection, never over an existing file', async () => {
    const file = join(work, 'authdb.dump');
    const { code } = await cli([
      'logical',
      'restore',
      '--env',
      'dev',
      '--dump',
      manifest.archive.key,
      '--to-file',
      file,
    ]);
    expect(code).toBe(0);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('PGDMP');
    const again = await cli(['logical', 'restore', '--env', 'dev', '--dump', manifest.dumpId, '--to-file', file]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('EEXIST');
  });

  it.each([
    [
      ['--dump', '20991231T000000Z', '--to-file', '/tmp/x'],
      /No dump manifest at s3:\/\/.*20991231T000000Z\.manifest\.json/,
    ],
    [['--dump', 'yesterday', '--to-file', '/tmp/x'], /dump = "yesterday"; allowed: a dump id such as/],
    [['--dump', '20261129T183000Z'], /exactly one of --target-url .* or --to-file/],
    [
      ['--dump', '20261129T183000Z', '--target-url', 'postgresql://postgres@db.example.com/postgres'],
      /needs sslrootcert/,
    ],
    [
      ['--dump', '20261129T183000Z', '--target-url', 'postgresql://u@db.example.com/postgres?sslmode=require'],
      /sslmode=require is not allowed/,
    ],
  ])('refuses bad input %j before touching anything', async (args, message) => {
    const { code, err } = await cli(['logical', 'restore', '--env', 'dev', ...args]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(existsSync('/tmp/x')).toBe(false);
  });
});
