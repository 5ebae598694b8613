import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { LibpqConnection } from './snapshot.js';

/**
 * A node-postgres client with the same settings pg_dump / pg_restore get from `libpqEnv`: `verify-full` checks the
 * certificate chain against `sslrootcert` and the host name; `disable` is for a local server only.
 */
export async function connectLibpq(c: LibpqConnection, applicationName: string): Promise<pg.Client> {
  let ssl: pg.ClientConfig['ssl'] = false;
  if (c.sslmode === 'verify-full') {
    if (!c.sslrootcert) throw new Error(`sslmode=verify-full needs a CA bundle (sslrootcert) to connect to ${c.host}`);
    ssl = { rejectUnauthorized: true, ca: readFileSync(c.sslrootcert, 'utf8'), servername: c.host };
  }
  const client = new pg.Client({
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    ...(c.password === undefined ? {} : { password: c.password }),
    ssl,
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
    options: '-c TimeZone=UTC',
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new Error(`Cannot connect to ${c.database} on ${c.host}:${c.port} as ${c.user}: ${(error as Error).message}`);
  }
  return client;
}
