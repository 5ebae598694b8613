import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifier } from '../../../lambda/drill-verifier/verifier.js';
import type { ConnectionFactory } from '../../../lambda/shared/db.js';
import { digestRanges, planRanges, splitKeyRange } from '../../../lambda/shared/digests.js';
import type { VerifyResult } from '../../../lambda/shared/drill.js';
import { ensureVerifierRole } from '../../../lambda/shared/readonly-role.js';
import { onPool, type SourceCounts, type TableSpec } from '../../../lambda/shared/row-counts.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

// Content digests and the schema check through the real verifier, logged in as the verifier role (which reads no
// table), on PostgreSQL 15. A "restore" is a copy of the source database (CREATE DATABASE ... TEMPLATE).
const ROLE = 'content_verifier';
const SCHEMA = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL,
                      last_seen_at timestamptz, created_at timestamptz NOT NULL);
  CREATE UNIQUE INDEX users_email_idx ON users (email);
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id),
                                  platform text NOT NULL CHECK (platform IN ('steam', 'meta', 'google')),
                                  oauth_token text NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, user_id bigint, action text NOT NULL, created_at timestamptz NOT NULL);
`;
const SEED = `
  INSERT INTO users (email, password_hash, created_at)
    SELECT 'user' || i || '@example.com', '$argon2id$v=19$m=65536,t=3,p=4$' || md5(i::text), now() - i * interval '1 minute'
      FROM generate_series(1, 2000) AS i;
  INSERT INTO platform_accounts (user_id, platform, oauth_token, created_at)
    SELECT i % 2000 + 1, (ARRAY['steam', 'meta', 'google'])[i % 3 + 1], md5('token' || i), now() - i * interval '30 seconds'
      FROM generate_series(1, 3000) AS i;
  INSERT INTO audit_logs (user_id, action, created_at)
    SELECT i % 2000 + 1, 'login', now() - i * interval '10 seconds' FROM generate_series(1, 5000) AS i;
`;
const TABLES: TableSpec[] = [
  // last_seen_at changes all the time: left out of the digest.
  {
    name: 'users',
    timeColumn: 'created_at',
    tolerance: 0,
    digestColumns: ['id', 'email', 'password_hash', 'created_at'],
    digestRanges: 8,
    maxSampleIds: 3,
  },
  { name: 'platform_accounts', timeColumn: 'created_at', tolerance: 0 },
  { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
];
const CONFIG = { tables: TABLES, settleSeconds: 300, concurrency: 2 };
const plan = { mode: 'point-in-time', source: { host: 'source', port: 5432 } };
const now = () => new Date();

let server: PostgresServer;
let copies = 0;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('source');
  await server.psql(SCHEMA + SEED, 'source');
  const admin = await server.client('source');
  await ensureVerifierRole(admin, {
    role: ROLE,
    database: 'source',
    schemas: [],
    iamAuth: false,
    tables: TABLES,
  }).finally(() => admin.end());
});

afterAll(async () => {
  await server?.stop();
});

/** A restore of the source as it is now: a copy of the database, then `change` applied to it as the master user. */
async function restoreOf(source: string, change = ''): Promise<string> {
  copies += 1;
  const name = `restored_${copies}`;
  await server.psql(`CREATE DATABASE ${name} TEMPLATE ${source}`);
  if (change) await server.psql(change, name);
  return name;
}

/** The verifier's connections, as the verifier role: host names the database. */
const connectTo = (endpoint: { host: string }): ConnectionFactory => server.connectionFactory(endpoint.host, ROLE);

async function countAndVerify(restored: string, source = 'source'): Promise<VerifyResult> {
  const sourceCounts = (await verifier(
    { action: 'count-source', plan: { ...plan, source: { host: source, port: 5432 } } },
    CONFIG,
    { connectTo, now },
  )) as SourceCounts;
  return (await verifier(
    {
      action: 'verify',
      plan: { ...plan, source: { host: source, port: 5432 } },
      scratch: { endpoint: { host: restored, port: 5432 } },
      sourceCounts,
    },
    CONFIG,
    { connectTo, now },
  )) as VerifyResult;
}

describe('content digests on PostgreSQL 15', () => {
  it('passes an identical restore, with every table digested in ranges', async () => {
    const result = await countAndVerify(await restoreOf('source'));
    expect(result).toMatchObject({ compared: true, ok: true, complete: true });
    if (!result.compared) throw new Error('expected a comparison');
    expect(result.verification.schemaDifferences).toEqual([]);
    for (const table of result.verification.tables) {
      expect(table.digest).toMatchObject({ match: true, judged: true, mismatchedRanges: [] });
    }
  });

  it('fails a restore with the same row count but one changed password_hash, naming the table and the key only', async () => {
    const restored = await restoreOf(
      'source',
      `UPDATE users SET password_hash = '$argon2id$v=19$m=65536,t=3,p=4$tampered' WHERE id = 1234`,
    );
    const result = await countAndVerify(restored);
    expect(result.ok).toBe(false);
    if (!result.compared) throw new Error('expected a comparison');
    const users = result.verification.tables.find((t) => t.table === 'users');
    expect(users).toMatchObject({ difference: 0, totalDifference: 0, withinTolerance: true });
    expect(users?.digest).toMatchObject({ match: false, judged: true, sampleIds: ['1234'] });
    expect(users?.digest?.mismatchedRanges).toHaveLength(1);
    const [range] = users?.digest?.mismatchedRanges ?? [];
    expect(BigInt(range.from ?? '0') <= 1234n && 1234n <= BigInt(range.to ?? '99999')).toBe(true);
    for (const other of result.verification.tables.filter((t) => t.table !== 'users')) {
      expect(other.digest?.match).toBe(true);
    }
    expect(result.summary).toContain('users: content of the settled rows differs in key ranges');
    expect(result.summary).toContain('differing keys: 1234');
    // No value of any row reaches the summary or the result: neither the old hash nor the new one.
    const text = JSON.stringify(result);
    expect(text).not.toContain('tampered');
    expect(text).not.toContain('argon2id');
  });

  it('passes a restore holding the same rows in another physical order', async () => {
    // Rewritten in reverse key order: the same set of rows, every one at another place on disk.
    const restored = await restoreOf(
      'source',
      `ALTER TABLE platform_accounts DROP CONSTRAINT platform_accounts_user_id_fkey;
       CREATE TEMP TABLE u AS SELECT * FROM users; TRUNCATE users CASCADE;
       INSERT INTO users SELECT * FROM u ORDER BY id DESC;
       ALTER TABLE platform_accounts ADD CONSTRAINT platform_accounts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);`,
    );
    const first = await server.psql('SELECT id FROM users LIMIT 1', restored);
    expect(first).toBe('2000');
    const result = await countAndVerify(restored);
    expect(result.summary).toMatch(/tables match the source/);
    expect(result.ok).toBe(true);
  });

  it('ignores a change to a column left out of the digest, and catches one in a column in it', async () => {
    const ignored = await countAndVerify(
      await restoreOf('source', `UPDATE users SET last_seen_at = now() WHERE id = 7`),
    );
    expect(ignored.ok).toBe(true);
    const caught = await countAndVerify(
      await restoreOf('source', `UPDATE platform_accounts SET oauth_token = 'other' WHERE id = 200`),
    );
    expect(caught.ok).toBe(false);
    expect(caught.summary).toContain('platform_accounts: content of the settled rows differs');
    expect(caught.summary).toContain('differing keys: 200');
  });

  it('names a row that exists only in the restore beyond the source keys, and a deleted one', async () => {
    // Same counts: one settled row removed, one settled row added with a new key.
    const restored = await restoreOf(
      'source',
      `DELETE FROM audit_logs WHERE id = 4000;
       INSERT INTO audit_logs (id, user_id, action, created_at) VALUES (900000, 1, 'login', now() - interval '1 day');`,
    );
    const result = await countAndVerify(restored);
    expect(result.ok).toBe(false);
    expect(result.summary).toContain('audit_logs: content of the settled rows differs');
    expect(result.summary).toMatch(/differing keys: 4000, 900000/);
  });

  it('fails the schema check on a dropped index, a changed constraint and a changed column type', async () => {
    const restored = await restoreOf(
      'source',
      `DROP INDEX users_email_idx;
       ALTER TABLE platform_accounts DROP CONSTRAINT platform_accounts_platform_check;
       ALTER TABLE platform_accounts ADD CONSTRAINT platform_accounts_platform_check CHECK (platform <> '');
       ALTER TABLE audit_logs ALTER COLUMN action TYPE varchar(40);`,
    );
    const result = await countAndVerify(restored);
    expect(result.ok).toBe(false);
    if (!result.compared) throw new Error('expected a comparison');
    expect(result.verification.schemaDifferences).toEqual([
      {
        kind: 'index',
        name: 'users.users_email_idx',
        source: 'CREATE UNIQUE INDEX users_email_idx ON public.users USING btree (email)',
      },
      {
        kind: 'constraint',
        name: 'platform_accounts.platform_accounts_platform_check',
        source: expect.stringContaining("'steam'::text"),
        restored: "CHECK ((platform <> ''::text))",
      },
      {
        kind: 'column',
        name: 'audit_logs.action',
        source: 'text NOT NULL',
        restored: 'character varying(40) NOT NULL',
      },
    ]);
    expect(result.summary).toContain('schema: index users.users_email_idx missing in the restore');
    // Rows and contents are fine: only the schema fails it.
    expect(result.verification.tables.every((t) => t.withinTolerance && t.digest?.match)).toBe(true);
  });

  it('fails the schema check on a missing extension and a missing role the application needs', async () => {
    await server.psql(
      `CREATE ROLE app_writer; GRANT SELECT, INSERT ON users TO app_writer;
                       CREATE EXTENSION IF NOT EXISTS pg_trgm`,
      'source',
    );
    try {
      const restored = await restoreOf('source', 'DROP EXTENSION pg_trgm; REVOKE ALL ON users FROM app_writer');
      const result = await countAndVerify(restored);
      expect(result.ok).toBe(false);
      if (!result.compared) throw new Error('expected a comparison');
      expect(result.verification.schemaDifferences?.map((d) => `${d.kind} ${d.name}`)).toEqual([
        'extension pg_trgm',
        'role app_writer',
      ]);
    } finally {
      await server.psql('DROP EXTENSION pg_trgm; REVOKE ALL ON users FROM app_writer; DROP ROLE app_writer', 'source');
    }
  });
});

describe('digests over 1 million rows', () => {
  it('digest every row once, in ranges across connections, equal to the sum computed directly', async () => {
    await server.createDatabase('big');
    await server.psql(
      `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL,
                           created_at timestamptz NOT NULL);
       INSERT INTO users (email, password_hash, created_at)
         SELECT 'user' || i || '@example.com', md5(i::text) || md5((-i)::text), now() - i * interval '1 second'
           FROM generate_series(1, 1000000) AS i;
       ANALYZE users;`,
      'big',
    );
    const tables: TableSpec[] = [{ name: 'users', timeColumn: 'created_at', tolerance: 0, digestRanges: 16 }];
    const admin = await server.client('big');
    await ensureVerifierRole(admin, { role: ROLE, database: 'big', schemas: [], iamAuth: false, tables }).finally(() =>
      admin.end(),
    );
    const cutoff = new Date(Date.now() - 3600_000).toISOString();
    const clients: pg.Client[] = await Promise.all([1, 2].map(() => server.connectionFactory('big', ROLE)()));
    try {
      const run = <T, R>(items: T[], work: (client: pg.Client, item: T) => Promise<R>) => onPool(clients, items, work);
      const ranges = await planRanges(run, tables, cutoff, 'source');
      expect(ranges).toHaveLength(16);
      const digests = await digestRanges(run, ranges, cutoff, 'source');
      const rows = digests.users.ranges.reduce((sum, r) => sum + r.rows, 0);
      const total = digests.users.ranges.reduce((sum, r) => sum + BigInt(r.digest), 0n);
      const direct = await server.psql(
        `SELECT count(*), sum(hash_record_extended(u, 0)) FROM users u WHERE created_at <= '${cutoff}'`,
        'big',
      );
      expect(`${rows}|${total}`).toBe(direct);
      expect(rows).toBeGreaterThan(990_000);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  }, 120_000);
});

describe('row hashes by column type', () => {
  // Hashing a row from its values is the fast path; types without a hash function fall back to the text form.
  const TYPED = `
    CREATE TYPE tier AS ENUM ('free', 'paid');
    CREATE DOMAIN email_address AS varchar(320) CHECK (VALUE LIKE '%@%');
    CREATE TABLE profiles (id bigint PRIMARY KEY, email email_address NOT NULL, handle varchar(40), tier tier,
                           external_id uuid, settings jsonb, scopes text[], created_at timestamptz NOT NULL);
    CREATE TABLE webhooks (id bigint PRIMARY KEY, payload json, location point, created_at timestamptz NOT NULL);
    INSERT INTO profiles SELECT i, 'p' || i || '@example.com', 'h' || i, 'free', md5(i::text)::uuid,
                                jsonb_build_object('theme', 'dark'), ARRAY['read', 'write'], now() - interval '1 day'
      FROM generate_series(1, 300) AS i;
    INSERT INTO webhooks SELECT i, json_build_object('n', i), point(i, i), now() - interval '1 day'
      FROM generate_series(1, 300) AS i;
  `;
  const tables: TableSpec[] = [
    { name: 'profiles', timeColumn: 'created_at', tolerance: 0 },
    { name: 'webhooks', timeColumn: 'created_at', tolerance: 0 },
  ];
  const config = { tables, settleSeconds: 300, concurrency: 2 };

  beforeAll(async () => {
    await server.createDatabase('typed');
    await server.psql(TYPED, 'typed');
    const admin = await server.client('typed');
    await ensureVerifierRole(admin, { role: ROLE, database: 'typed', schemas: [], iamAuth: false, tables }).finally(
      () => admin.end(),
    );
  });

  async function verifyTyped(restored: string): Promise<VerifyResult> {
    const typedPlan = { ...plan, source: { host: 'typed', port: 5432 } };
    const sourceCounts = (await verifier({ action: 'count-source', plan: typedPlan }, config, {
      connectTo,
      now,
    })) as SourceCounts;
    return (await verifier(
      { action: 'verify', plan: typedPlan, scratch: { endpoint: { host: restored, port: 5432 } }, sourceCounts },
      config,
      { connectTo, now },
    )) as VerifyResult;
  }

  it('hashes rows of hashable types by value and the others by their text form', async () => {
    const expression = (table: string) =>
      server.psql(
        `SELECT authdb_verify.row_hash(t) FROM authdb_verify.verified_tables t WHERE name = '${table}'`,
        'typed',
      );
    expect(await expression('profiles')).toBe('hash_record_extended(authdb_verify_row, 0)');
    expect(await expression('webhooks')).toBe('hashtextextended(authdb_verify_row::text, 0)');
  });

  it('passes an identical restore and catches a change in a domain, a jsonb, a json and a point column', async () => {
    expect((await verifyTyped(await restoreOf('typed'))).ok).toBe(true);
    for (const [change, table, key] of [
      [`UPDATE profiles SET email = 'x@example.com' WHERE id = 17`, 'profiles', '17'],
      [`UPDATE profiles SET settings = '{"theme": "light"}' WHERE id = 18`, 'profiles', '18'],
      [`UPDATE webhooks SET payload = '{"n": -1}' WHERE id = 19`, 'webhooks', '19'],
      [`UPDATE webhooks SET location = point(0, 0) WHERE id = 20`, 'webhooks', '20'],
    ]) {
      const result = await verifyTyped(await restoreOf('typed', change));
      expect(result.ok, change).toBe(false);
      expect(result.summary).toContain(`${table}: content of the settled rows differs`);
      expect(result.summary).toContain(`differing keys: ${key}`);
    }
  });
});

describe('splitKeyRange', () => {
  it('covers every key with ranges open at both ends', () => {
    expect(splitKeyRange(1n, 100n, 4)).toEqual([
      { from: null, to: '25' },
      { from: '26', to: '50' },
      { from: '51', to: '75' },
      { from: '76', to: null },
    ]);
    expect(splitKeyRange(null, null, 4)).toEqual([{ from: null, to: null }]);
    expect(splitKeyRange(5n, 6n, 8)).toEqual([
      { from: null, to: '5' },
      { from: '6', to: null },
    ]);
    expect(splitKeyRange(-9223372036854775808n, 9223372036854775807n, 2)).toEqual([
      { from: null, to: '-1' },
      { from: '0', to: null },
    ]);
    expect(() => splitKeyRange(1n, 2n, 0)).toThrow('Invalid number of digest ranges 0: allowed are whole numbers >= 1');
  });
});
