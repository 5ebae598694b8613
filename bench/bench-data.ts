// The 5-million-row bench data (users, platform_accounts, audit_logs as the auth service has them), loaded into a
// local PostgreSQL 15 and bootstrapped as a production database is; shared by the benchmarks in this folder.
import { ensureVerifierRole } from '../lambda/shared/readonly-role.js';
import type { TableSpec } from '../lambda/shared/row-counts.js';
import type { PostgresServer } from '../test/support/postgres.js';

/** The verifier role the bootstrap creates in the bench database. */
export const BENCH_VERIFIER = 'bench_verifier';
export const DATABASE = 'authdb_bench';
export const ROUNDS = 3;
export const ROWS = { users: 1_000_000, platform_accounts: 1_500_000, audit_logs: 2_500_000 };
export const TABLES: TableSpec[] = Object.keys(ROWS).map((name) => ({ name, timeColumn: 'created_at', tolerance: 0 }));
export const SETTLE_SECONDS = 300;

const LOAD: Record<keyof typeof ROWS, string> = {
  users: `INSERT INTO users (email, password_hash, created_at)
            SELECT 'user' || i || '@example.com', '$argon2id$v=19$m=65536,t=3,p=4$' || md5(i::text) || md5((-i)::text),
                   now() - i * interval '1 second'
              FROM generate_series(1, ${ROWS.users}) AS i`,
  platform_accounts: `INSERT INTO platform_accounts (user_id, platform, oauth_token, created_at)
            SELECT i % ${ROWS.users} + 1, (ARRAY['steam', 'meta', 'google'])[i % 3 + 1], md5('t' || i) || md5('u' || i),
                   now() - i * interval '500 milliseconds'
              FROM generate_series(1, ${ROWS.platform_accounts}) AS i`,
  audit_logs: `INSERT INTO audit_logs (user_id, action, created_at)
            SELECT i % ${ROWS.users} + 1, (ARRAY['login', 'logout', 'token_refresh'])[i % 3 + 1],
                   now() - i * interval '100 milliseconds'
              FROM generate_series(1, ${ROWS.audit_logs}) AS i`,
};

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export async function load(server: PostgresServer): Promise<void> {
  await server.createDatabase(DATABASE);
  await server.psql(
    `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL,
                         created_at timestamptz NOT NULL);
     CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, platform text NOT NULL,
                                     oauth_token text NOT NULL, created_at timestamptz NOT NULL);
     CREATE TABLE audit_logs (id bigserial PRIMARY KEY, user_id bigint, action text NOT NULL,
                              created_at timestamptz NOT NULL);`,
    DATABASE,
  );
  await Promise.all(Object.values(LOAD).map((sql) => server.psql(sql, DATABASE)));
  await server.psql('VACUUM ANALYZE', DATABASE);
  // What the bootstrap does on a real database: the verifier role and the functions it counts and digests through.
  const admin = await server.client(DATABASE);
  await ensureVerifierRole(admin, {
    role: BENCH_VERIFIER,
    database: DATABASE,
    schemas: [],
    iamAuth: false,
    tables: TABLES,
  }).finally(() => admin.end());
}
