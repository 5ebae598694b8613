import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureVerifierRole } from '../../../lambda/shared/readonly-role.js';
import { countSource } from '../../../lambda/shared/row-counts.js';
import { VERIFY_OWNER, VERIFY_SCHEMA } from '../../../lambda/shared/verification-functions.js';

const TABLES = [
  { name: 'users', timeColumn: 'created_at' },
  { name: 'platform_accounts', digestColumns: ['user_id', 'oauth_token'] },
];

import { type PostgresServer, startPostgres } from '../../support/postgres.js';

let server: PostgresServer;
let admin: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('authdb');
  await server.psql(
    `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL DEFAULT 'secret-hash',
                         created_at timestamptz NOT NULL DEFAULT now());
     INSERT INTO users (email) SELECT 'user' || i || '@example.com' FROM generate_series(1, 10) AS i;
     CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, oauth_token text NOT NULL);
     INSERT INTO platform_accounts (user_id, oauth_token) SELECT i, 'token-' || i FROM generate_series(1, 4) AS i;`,
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
      tables: TABLES,
    });
    expect(state).toEqual({ created: true, rdsIamGranted: false });
    expect(await memberships('local_verifier')).toEqual([]);
  });

  it('creates a read-only login role, idempotently, with rds_iam when the server has it', async () => {
    await admin.query('CREATE ROLE rds_iam NOLOGIN');
    const opts = { role: 'drill_verifier', database: 'authdb', schemas: ['public'], iamAuth: true, tables: TABLES };
    expect(await ensureVerifierRole(admin, opts)).toEqual({ created: true, rdsIamGranted: true });
    expect(await ensureVerifierRole(admin, opts)).toEqual({ created: false, rdsIamGranted: true });

    expect(await memberships('drill_verifier')).toEqual(['rds_iam']);
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

  it('cannot read password_hash, oauth_token or any table, yet counts and digests through the functions', async () => {
    const verifier = await server.connectionFactory('authdb', 'drill_verifier')();
    try {
      for (const sql of [
        'SELECT password_hash FROM users',
        'SELECT oauth_token FROM platform_accounts',
        'SELECT count(*) FROM users',
        'SELECT * FROM authdb_verify.verified_tables',
        // The private helpers are not callable either.
        `SELECT authdb_verify.target('users')`,
      ]) {
        expect(await failure(verifier, sql), sql).toBe('42501');
      }
      // A table outside the configuration cannot be counted through the functions.
      await admin.query('CREATE TABLE secrets (id bigserial PRIMARY KEY, value text)');
      expect(await failure(verifier, `SELECT * FROM authdb_verify.range_digest('secrets', now(), NULL, NULL)`)).toBe(
        '42501',
      );
      const digest = await verifier.query(
        `SELECT row_count, digest FROM authdb_verify.range_digest('platform_accounts', now(), NULL, NULL)`,
      );
      expect(digest.rows[0].row_count).toBe('4');
      // The sum of the rows' 64-bit hashes of the configured columns, as the owner computes it directly.
      const expected = await admin.query(
        `SELECT sum(hash_record_extended(ROW(user_id, oauth_token), 0)) AS d FROM platform_accounts`,
      );
      expect(digest.rows[0].digest).toBe(expected.rows[0].d);
    } finally {
      await verifier.end();
    }
    const counts = await countSource(
      server.connectionFactory('authdb', 'drill_verifier'),
      [
        { name: 'users', timeColumn: 'created_at', tolerance: 0 },
        { name: 'platform_accounts', tolerance: 0 },
      ],
      { concurrency: 2, settleSeconds: 0 },
    );
    expect(counts.tables).toEqual({ users: { total: 10, settled: 10 }, platform_accounts: { total: 4 } });
  });

  it('cannot write, even after leaving read-only mode, nor change the functions', async () => {
    const verifier = await server.connectionFactory('authdb', 'drill_verifier')();
    try {
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
      expect(await failure(verifier, `INSERT INTO authdb_verify.verified_tables (name) VALUES ('secrets')`)).toBe(
        '42501',
      );
      expect(
        await failure(verifier, 'CREATE FUNCTION authdb_verify.x() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$'),
      ).toBe('42501');
    } finally {
      await verifier.end();
    }
  });

  it("lets no other role call the functions, pins their search_path, and drops an earlier version's", async () => {
    await admin.query('CREATE ROLE someone_else LOGIN');
    const other = await server.connectionFactory('authdb', 'someone_else')();
    try {
      expect(await failure(other, `SELECT * FROM authdb_verify.table_counts('users', now(), false)`)).toBe('42501');
    } finally {
      await other.end();
    }
    // A database bootstrapped by the version that hashed rows only in text form still has its helper.
    await admin.query(`CREATE FUNCTION authdb_verify.row_expression(t authdb_verify.verified_tables) RETURNS text
      LANGUAGE sql AS $$ SELECT 'authdb_verify_row' $$`);
    await ensureVerifierRole(admin, {
      role: 'drill_verifier',
      database: 'authdb',
      schemas: ['public'],
      iamAuth: true,
      tables: TABLES,
    });
    const functions = await admin.query(
      `SELECT p.proname, p.prosecdef, pg_get_userbyid(p.proowner) AS owner, p.proconfig
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 ORDER BY 1`,
      [VERIFY_SCHEMA],
    );
    expect(functions.rows.map((fn) => fn.proname)).toEqual([
      'hashable',
      'key_bounds',
      'range_digest',
      'row_digests',
      'row_hash',
      'settled_filter',
      'table_counts',
      'target',
    ]);
    for (const fn of functions.rows) {
      expect(fn).toMatchObject({ prosecdef: true, owner: VERIFY_OWNER });
      expect(fn.proconfig).toContain('search_path=pg_catalog, pg_temp');
    }
  });

  it('takes pg_read_all_data away from a verifier that had it', async () => {
    await admin.query('GRANT pg_read_all_data TO drill_verifier');
    await ensureVerifierRole(admin, {
      role: 'drill_verifier',
      database: 'authdb',
      schemas: ['public'],
      iamAuth: true,
      tables: TABLES,
    });
    expect(await memberships('drill_verifier')).toEqual(['rds_iam']);
  });

  it('refuses an existing role with powers a verifier must not have', async () => {
    await admin.query('CREATE ROLE powerful_verifier LOGIN SUPERUSER');
    await expect(
      ensureVerifierRole(admin, {
        role: 'powerful_verifier',
        database: 'authdb',
        schemas: [],
        iamAuth: false,
        tables: [],
      }),
    ).rejects.toThrow(/powerful_verifier already exists with SUPERUSER/);
  });

  it('refuses names that are not plain identifiers', async () => {
    const base = { role: 'drill_verifier', database: 'authdb', schemas: ['public'], iamAuth: false, tables: TABLES };
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
