import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureVerifierRole } from '../../../lambda/shared/readonly-role.js';
import { countSource } from '../../../lambda/shared/row-counts.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

let server: PostgresServer;
let admin: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('authdb');
  await server.psql(
    `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
     INSERT INTO users (email) SELECT 'user' || i || '@example.com' FROM generate_series(1, 10) AS i;`,
    'authdb',
  );
  admin = await server.client('authdb');
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

async function memberships(role: string): Promise<string[]> {
  const result = await admin.query(
    `SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member
      WHERE r.rolname = $1 ORDER BY 1`,
    [role],
  );
  return result.rows.map((row) => row.rolname);
}

async function failure(client: pg.Client, sql: string): Promise<string | undefined> {
  return client.query(sql).then(
    () => undefined,
    (error: { code?: string }) => error.code,
  );
}

describe('ensureVerifierRole', () => {
  it('skips rds_iam where the server has no such role', async () => {
    const state = await ensureVerifierRole(admin, {
      role: 'local_verifier',
      database: 'authdb',
      schemas: [],
      iamAuth: true,
    });
    expect(state).toEqual({ created: true, rdsIamGranted: false });
    expect(await memberships('local_verifier')).toEqual(['pg_read_all_data']);
  });

  it('creates a read-only login role, idempotently, with rds_iam when the server has it', async () => {
    await admin.query('CREATE ROLE rds_iam NOLOGIN');
    const opts = { role: 'drill_verifier', database: 'authdb', schemas: ['public'], iamAuth: true };
    expect(await ensureVerifierRole(admin, opts)).toEqual({ created: true, rdsIamGranted: true });
    expect(await ensureVerifierRole(admin, opts)).toEqual({ created: false, rdsIamGranted: true });

    expect(await memberships('drill_verifier')).toEqual(['pg_read_all_data', 'rds_iam']);
    const role = await admin.query(
      `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit, rolreplication, rolbypassrls, rolconfig
         FROM pg_roles WHERE rolname = 'drill_verifier'`,
    );
    expect(role.rows).toEqual([
      {
        rolcanlogin: true,
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolinherit: true,
        rolreplication: false,
        rolbypassrls: false,
        rolconfig: ['default_transaction_read_only=on', 'search_path=public'],
      },
    ]);
    const connect = await admin.query(`SELECT has_database_privilege('drill_verifier', 'authdb', 'CONNECT') AS ok`);
    expect(connect.rows[0].ok).toBe(true);
  });

  it('can read every table but cannot write, even after leaving read-only mode', async () => {
    const verifier = await server.connectionFactory('authdb', 'drill_verifier')();
    try {
      expect((await verifier.query('SELECT count(*) AS n FROM users')).rows[0].n).toBe('10');
      // Read-only transactions by default...
      expect(await failure(verifier, `INSERT INTO users (email) VALUES ('x@example.com')`)).toBe('25006');
      // ...and no privilege to write once the session opts out of them.
      await verifier.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE');
      expect(await failure(verifier, `INSERT INTO users (email) VALUES ('x@example.com')`)).toBe('42501');
      expect(await failure(verifier, `UPDATE users SET email = 'x' WHERE id = 1`)).toBe('42501');
      expect(await failure(verifier, 'DELETE FROM users')).toBe('42501');
      expect(await failure(verifier, 'TRUNCATE users')).toBe('42501');
      expect(await failure(verifier, 'CREATE TABLE stolen (id int)')).toBe('42501');
      expect(await failure(verifier, 'CREATE SCHEMA stolen')).toBe('42501');
      expect(await failure(verifier, 'DROP TABLE users')).toBe('42501');
    } finally {
      await verifier.end();
    }
    // A table created after the role still reads: pg_read_all_data covers it.
    await admin.query('CREATE TABLE audit_logs (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL)');
    const counts = await countSource(
      server.connectionFactory('authdb', 'drill_verifier'),
      [
        { name: 'users', timeColumn: 'created_at', tolerance: 0 },
        { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
      ],
      { concurrency: 2, settleSeconds: 0 },
    );
    expect(counts.tables).toEqual({ users: { total: 10, settled: 10 }, audit_logs: { total: 0, settled: 0 } });
  });

  it('refuses an existing role with powers a verifier must not have', async () => {
    await admin.query('CREATE ROLE powerful_verifier LOGIN SUPERUSER');
    await expect(
      ensureVerifierRole(admin, { role: 'powerful_verifier', database: 'authdb', schemas: [], iamAuth: false }),
    ).rejects.toThrow(/powerful_verifier already exists with SUPERUSER/);
  });

  it('refuses names that are not plain identifiers', async () => {
    const base = { role: 'drill_verifier', database: 'authdb', schemas: ['public'], iamAuth: false };
    await expect(ensureVerifierRole(admin, { ...base, role: 'v; DROP ROLE postgres' })).rejects.toThrow(
      /Invalid role name "v; DROP ROLE postgres"/,
    );
    await expect(ensureVerifierRole(admin, { ...base, database: 'Auth-DB' })).rejects.toThrow(
      /Invalid database name "Auth-DB"/,
    );
    await expect(ensureVerifierRole(admin, { ...base, schemas: ['public', 'x"y'] })).rejects.toThrow(
      /Invalid schema name "x\\"y"/,
    );
  });
});
