import { spawn } from 'node:child_process';
import { pipeline, type Readable, Readable as ReadableStream, type Writable } from 'node:stream';
import { pipeline as pipelinePromise } from 'node:stream/promises';
import type { KeyringNode } from '@aws-crypto/client-node';
import { decryptingStream } from './crypto.js';
import { exited, type LibpqConnection, libpqEnv } from './snapshot.js';

/**
 * Decrypts `encrypted` and hands the plaintext to `open()` only once the first plaintext bytes exist: a wrong key,
 * a foreign archive or a garbled header fails before anything is written or restored.
 */
async function decryptInto(
  encrypted: Readable,
  keyring: KeyringNode,
  context: Record<string, string>,
  open: () => { sink: Writable; done: Promise<void>; abort: () => void },
): Promise<void> {
  const decrypt = decryptingStream(keyring, context);
  const plain = pipeline(encrypted, decrypt, () => {});
  const chunks = plain[Symbol.asyncIterator]();
  let first: IteratorResult<Buffer>;
  try {
    first = await chunks.next();
  } catch (error) {
    throw new Error(`Cannot decrypt the archive: ${(error as Error).message}`);
  }
  const target = open();
  async function* rest() {
    if (!first.done) yield first.value;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
  }
  try {
    await Promise.all([pipelinePromise(ReadableStream.from(rest()), target.sink), target.done]);
  } catch (error) {
    target.abort();
    throw error;
  }
}

export interface PgRestoreTarget {
  binDir: string;
  /** The database pg_restore connects to (`--create`: the maintenance database it issues CREATE DATABASE from). */
  connection: LibpqConnection;
  args: string[];
}

/** Decrypts the archive straight into `pg_restore` (stdin): no plaintext on disk. */
export async function decryptIntoPgRestore(
  encrypted: Readable,
  keyring: KeyringNode,
  context: Record<string, string>,
  target: PgRestoreTarget,
): Promise<void> {
  await decryptInto(encrypted, keyring, context, () => {
    const child = spawn(
      `${target.binDir}/pg_restore`,
      ['--exit-on-error', '--no-password', '-d', target.connection.database, ...target.args],
      {
        env: libpqEnv(target.connection),
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    // pg_restore stopping early closes stdin; its exit status carries the reason.
    child.stdin.on('error', () => {});
    return { sink: child.stdin, done: exited(child, 'pg_restore'), abort: () => child.kill('SIGTERM') };
  });
}

/** Decrypts the archive into a writable (the CLI's `--to-file`). */
export async function decryptIntoWritable(
  encrypted: Readable,
  keyring: KeyringNode,
  context: Record<string, string>,
  open: () => Writable,
): Promise<void> {
  await decryptInto(encrypted, keyring, context, () => {
    const sink = open();
    return { sink, done: Promise.resolve(), abort: () => sink.destroy() };
  });
}
