import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type pg from 'pg';
import { quoteName } from '../lambda/shared/row-counts.js';
import type { PostgresServer } from '../test/support/postgres.js';

const run = promisify(execFile);

export interface TlsMaterial {
  /** The throwaway CA's certificate: what the verifier trusts (CA_BUNDLE_PATH). */
  caPath: string;
  certPath: string;
  keyPath: string;
}

/**
 * A throwaway CA and a server certificate for 127.0.0.1 signed by it, valid for one day: the local clusters then
 * serve TLS that the verifier checks exactly as it checks RDS (chain and host name), with no exception for local use.
 */
export async function createTlsMaterial(dir: string): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const at = (name: string) => join(dir, name);
  const openssl = async (...args: string[]) => {
    try {
      await run('openssl', args);
    } catch (error) {
      throw new Error(
        `openssl ${args[0]} failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`,
      );
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=authdb-dr drill:local throwaway CA',
  );
  await openssl('req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1');
  await writeFile(at('server.ext'), 'subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n');
  await openssl(
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    at('server.ext'),
    '-out',
    at('server.crt'),
  );
  return { caPath: at('ca.pem'), certPath: at('server.crt'), keyPath: at('server.key') };
}

export interface SourceSetup {
  tls: TlsMaterial;
  databaseName: string;
  masterUsername: string;
  masterPassword: string;
}

/**
 * Makes a local cluster look like the RDS source to its clients: TLS with the throwaway certificate (in the data
 * directory, so base backups and so every restored cluster carry it), RDS's `rds_iam` role, the master user with
 * its password, and the application database owned by the master user. Access rules, like `rds.force_ssl = 1`:
 * TLS for everyone but the harness's own superuser; the master user proves its password; other users (the verifier,
 * whose IAM token nothing here can check) are trusted.
 */
export async function prepareSource(server: PostgresServer, setup: SourceSetup): Promise<void> {
  await copyFile(setup.tls.certPath, join(server.dataDir, 'server.crt'));
  await copyFile(setup.tls.keyPath, join(server.dataDir, 'server.key'));
  await chmod(join(server.dataDir, 'server.key'), 0o600);
  const master = quoteName(setup.masterUsername, 'master user name');
  await writeFile(
    join(server.dataDir, 'pg_hba.conf'),
    [
      'local all all trust',
      'host replication postgres 127.0.0.1/32 trust',
      // test/support/postgres.ts connects as postgres without TLS (loading data, log shipping, checks).
      'hostnossl all postgres 127.0.0.1/32 trust',
      `hostssl all ${setup.masterUsername} 127.0.0.1/32 scram-sha-256`,
      // The verifier's IAM auth token is not checked locally.
      'hostssl all all 127.0.0.1/32 trust',
      'host all all 127.0.0.1/32 reject',
      '',
    ].join('\n'),
  );
  await chownToPostgres(server.dataDir);
  await server.psql(`ALTER SYSTEM SET ssl = on`);
  await server.psql('SELECT pg_reload_conf()');
  await waitFor(async () => (await server.psql('SHOW ssl')) === 'on', 'TLS to be enabled on the source');
  await server.psql(
    `CREATE ROLE rds_iam NOLOGIN;
     CREATE ROLE ${master} LOGIN CREATEROLE CREATEDB PASSWORD '${setup.masterPassword.replace(/'/g, "''")}'`,
  );
  await server.psql(`CREATE DATABASE ${quoteName(setup.databaseName, 'database name')} OWNER ${master}`);
}

async function chownToPostgres(path: string): Promise<void> {
  if (process.getuid?.() === 0) await run('chown', ['-R', 'postgres:postgres', path]);
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The strategy's three tables, created and filled by the master user (as the application's migrations would), `rows`
 * rows each, stamped over 30 days up to `settledSeconds` ago, so that all of them are settled when the drill counts.
 */
export async function loadSampleData(client: pg.Client, rows: number, settledSeconds: number): Promise<void> {
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`rows must be a whole number >= 1, got ${rows}`);
  await client.query(`
    CREATE TABLE users (
      id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, password_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE platform_accounts (
      id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id), platform text NOT NULL,
      oauth_token text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE audit_logs (
      id bigserial PRIMARY KEY, user_id bigint REFERENCES users (id), action text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now());
    CREATE INDEX ON audit_logs (created_at);`);
  await client.query(
    `INSERT INTO users (email, password_hash, created_at)
       SELECT 'user' || i || '@example.com', '$argon2id$v=19$m=65536,t=3,p=4$' || md5('salt' || i) || '$' || md5(i::text),
              now() - interval '30 days' * (1 - i::float8 / $1::int) - make_interval(secs => $2::int)
         FROM generate_series(1, $1::int) AS i`,
    [rows, settledSeconds],
  );
  await client.query(
    `INSERT INTO platform_accounts (user_id, platform, oauth_token, created_at)
       SELECT i, (ARRAY['steam', 'epic', 'oculus', 'google'])[1 + i % 4], 'oauth-' || md5('token' || i),
              now() - interval '30 days' * (1 - i::float8 / $1::int) - make_interval(secs => $2::int)
         FROM generate_series(1, $1::int) AS i`,
    [rows, settledSeconds],
  );
  await client.query(
    `INSERT INTO audit_logs (user_id, action, created_at)
       SELECT 1 + i % $1::int, (ARRAY['login', 'logout', 'token-refresh', 'password-change'])[1 + i % 4],
              now() - interval '30 days' * (1 - i::float8 / $1::int) - make_interval(secs => $2::int)
         FROM generate_series(1, $1::int) AS i`,
    [rows, settledSeconds],
  );
  await client.query('ANALYZE');
}

/** The application keeps writing while the drill runs: new sign-ins every `intervalMs` (never compared: unsettled). */
export function startTraffic(server: PostgresServer, databaseName: string, intervalMs = 500): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> = Promise.resolve();
  const tick = () => {
    current = server
      .psql(`INSERT INTO audit_logs (user_id, action) SELECT min(id), 'login' FROM users`, databaseName)
      .catch(() => {})
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  timer = setTimeout(tick, intervalMs);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
  };
}
