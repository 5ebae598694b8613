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
