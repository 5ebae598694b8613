import { type ChildProcess, type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type pg from 'pg';
import type { TableCount } from '../../contract/logical-dump.js';

const run = promisify(execFile);

/** libpq settings of one connection, passed to pg_dump / pg_restore in the environment (never on the command line). */
export interface LibpqConnection {
  host: string;
  port: number;
  database: string;
  user: string;
  /** An IAM token or a password; absent for a local trust server. */
  password?: string;
  /** `verify-full` with the RDS CA bundle in AWS; `disable` only for a local test server. */
  sslmode: 'verify-full' | 'disable';
  sslrootcert?: string;
}

export function libpqEnv(c: LibpqConnection): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    // libpq finds ~/.pgpass (and the restore's operator their password) through HOME.
    HOME: process.env.HOME,
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGDATABASE: c.database,
    PGUSER: c.user,
    PGSSLMODE: c.sslmode,
    PGCONNECT_TIMEOUT: '10',
    ...(c.password === undefined ? {} : { PGPASSWORD: c.password }),
    ...(c.sslrootcert === undefined ? {} : { PGSSLROOTCERT: c.sslrootcert }),
  };
}

/** Ordinary tables of the user's schemas, counted one by one (leaf partitions count, their parents do not). */
export async function countTables(client: pg.Client): Promise<TableCount[]> {
  const tables = await client.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  const counts: TableCount[] = [];
  for (const { schema, table } of tables.rows) {
    const quoted = `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(table)}`;
    const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoted}`);
    counts.push({ schema, table, rows: Number(result.rows[0]!.n) });
  }
  return counts;
}

export interface Snapshot {
  id: string;
  engineVersion: string;
  tables: TableCount[];
  /** Ends the transaction that holds the snapshot: only after pg_dump has finished. */
  release(): Promise<void>;
}

/**
 * Opens the snapshot the dump will read: a REPEATABLE READ transaction that exports it, and counts every table in
 * it, so the manifest's counts are exactly what the dump holds.
 */
export async function openSnapshot(client: pg.Client): Promise<Snapshot> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const exported = await client.query<{ id: string; version: string }>(
      `SELECT pg_export_snapshot() AS id, current_setting('server_version') AS version`,
    );
    const tables = await countTables(client);
    return {
      id: exported.rows[0]!.id,
      engineVersion: exported.rows[0]!.version,
      tables,
      release: async () => {
        await client.query('COMMIT');
      },
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** `pg_dump (PostgreSQL) 15.x` of the binary in `binDir`. */
export async function pgDumpVersion(binDir: string): Promise<string> {
  const { stdout } = await run(`${binDir}/pg_dump`, ['--version']);
  return stdout.trim();
}

export type DumpProcess = ChildProcessByStdio<null, Readable, Readable>;

/** Starts `pg_dump -Fc` of the exported snapshot, writing the archive to stdout. */
export function startPgDump(binDir: string, connection: LibpqConnection, snapshotId: string): DumpProcess {
  return spawn(`${binDir}/pg_dump`, ['--format=custom', `--snapshot=${snapshotId}`, '--no-password'], {
    env: libpqEnv(connection),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves when the process exits 0; otherwise rejects with its stderr (libpq never prints the password). */
export function exited(child: ChildProcess & { stderr: Readable }, what: string): Promise<void> {
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < 8000) stderr += text;
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`${what} could not start: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${what} failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-2000)}`));
    });
  });
}
