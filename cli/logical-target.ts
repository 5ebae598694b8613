import type { Manifest } from '../contract/logical-dump.js';
import { connectLibpq } from '../jobs/logical-dump/connection.js';
import type { LibpqConnection } from '../jobs/logical-dump/snapshot.js';
import { UsageError } from './context.js';

/**
 * `--target-url postgresql://USER[:PASSWORD]@HOST[:PORT][/MAINTENANCE_DB]?sslmode=verify-full&sslrootcert=PATH`: the
 * server to restore into. The database in the path is the one pg_restore connects to in order to create (or drop
 * and recreate) the archive's database: `postgres` by default. `sslmode=disable` is accepted for a local server only.
 */
export function parseTargetUrl(text: string): LibpqConnection {
  const fail = (why: string) =>
    new UsageError(
      `target-url = ${JSON.stringify(redactPassword(text))}; ${why}; allowed: ` +
        'postgresql://USER@HOST[:PORT][/DB]?sslmode=verify-full&sslrootcert=CA.pem (or sslmode=disable on localhost) [--target-url]',
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail('not a URL');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') throw fail('the scheme must be postgresql://');
  if (!url.hostname) throw fail('no host');
  if (!url.username) throw fail('no user');
  const sslmode = url.searchParams.get('sslmode') ?? 'verify-full';
  const local = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (sslmode !== 'verify-full' && !(sslmode === 'disable' && local)) {
    throw fail(`sslmode=${sslmode} is not allowed (verify-full, or disable for localhost)`);
  }
  const sslrootcert = url.searchParams.get('sslrootcert') ?? undefined;
  if (sslmode === 'verify-full' && !sslrootcert)
    throw fail('sslmode=verify-full needs sslrootcert=PATH (the CA bundle)');
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : 5432,
    database,
    user: decodeURIComponent(url.username),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    sslmode: sslmode === 'disable' ? 'disable' : 'verify-full',
    ...(sslrootcert ? { sslrootcert } : {}),
  };
}

function redactPassword(text: string): string {
  return text.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** What the target holds of the archive's database: absent, empty, or how many tables. */
export async function inspectTarget(target: LibpqConnection, database: string): Promise<'absent' | number> {
  const admin = await connectLibpq(target, 'authdb-dr-logical-restore');
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) return 'absent';
  } finally {
    await admin.end().catch(() => {});
  }
  const db = await connectLibpq({ ...target, database }, 'authdb-dr-logical-restore');
  try {
    const tables = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
    );
    return Number(tables.rows[0]!.n);
  } finally {
    await db.end().catch(() => {});
  }
}

/** How pg_restore is run for what the target holds; refuses a database with tables unless `--clean`. */
export function restorePlan(target: LibpqConnection, manifest: Manifest, held: 'absent' | number, clean: boolean) {
  const database = manifest.source.database;
  if (database === target.database) {
    throw new UsageError(
      `target-url names database ${database}, the one the dump restores; name a maintenance database such as ` +
        'postgres in the URL (pg_restore --create connects there to create it) [--target-url]',
    );
  }
  if (clean) return { connection: target, args: ['--clean', '--if-exists', '--create'] };
  if (held === 'absent') return { connection: target, args: ['--create'] };
  if (held === 0) return { connection: { ...target, database }, args: [] };
  throw new UsageError(
    `Target database ${database} on ${target.host}:${target.port} is not empty (${held} tables); nothing was changed. ` +
      'Pass --clean to drop and recreate it (pg_restore --clean --create), or restore into another server.',
  );
}
