import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConnectionFactory,
  connect,
  iamAuthToken,
  tlsOptions,
  type VerifiedTlsOptions,
} from '../../../lambda/shared/db.js';
import {
  assertVerified,
  compareCounts,
  countRestored,
  countRowsAfter,
  countSource,
  countsWithoutComparison,
  type SourceCounts,
  type TableSpec,
  VerificationMismatch,
} from '../../../lambda/shared/row-counts.js';
import {
  installVerificationFunctions,
  type VerifiedTableDefinition,
} from '../../../lambda/shared/verification-functions.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

const SCHEMA = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL,
                      created_at timestamptz NOT NULL);
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, platform text NOT NULL,
                                  oauth_token text NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, user_id bigint, action text NOT NULL,
                           created_at timestamptz NOT NULL);
`;

// Rows every minute / 30 s / 10 s back from now: the newest few of each table fall inside the 5-minute settle window.
const SEED = `
  INSERT INTO users (email, password_hash, created_at)
    SELECT 'user' || i || '@example.com', '$argon2id$v=19$m=65536,t=3,p=4$' || md5(i::text), now() - i * interval '1 minute'
      FROM generate_series(1, 200) AS i;
  INSERT INTO platform_accounts (user_id, platform, oauth_token, created_at)
    SELECT i % 200 + 1, (ARRAY['steam', 'meta', 'google'])[i % 3 + 1], md5('token' || i), now() - i * interval '30 seconds'
      FROM generate_series(1, 300) AS i;
  INSERT INTO audit_logs (user_id, action, created_at)
    SELECT i % 200 + 1, 'login', now() - i * interval '10 seconds' FROM generate_series(1, 500) AS i;
`;

const TABLES: TableSpec[] = [
  { name: 'users', timeColumn: 'created_at', tolerance: 0 },
  { name: 'platform_accounts', timeColumn: 'created_at', tolerance: 0 },
  { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
];
const COUNT_OPTIONS = { concurrency: 2, settleSeconds: 300 };

let server: PostgresServer;
let databases = 0;

beforeAll(async () => {
  server = await startPostgres();
  await server.psql('CREATE ROLE verifier LOGIN');
});

/** What the bootstrap does: the functions the verifier counts and digests through, for `tables`. */
async function install(databases: string[], tables: VerifiedTableDefinition[] = TABLES): Promise<void> {
  for (const database of databases) {
    const client = await server.client(database);
    try {
      await installVerificationFunctions(client, { verifierRole: 'verifier', tables });
    } finally {
      await client.end();
    }
  }
}

afterAll(async () => {
  await server?.stop();
});

/** A seeded source database and an empty "restored" one with the same schema. */
async function sourceAndRestore(): Promise<{ source: string; restored: string }> {
  databases += 1;
  const source = `source_${databases}`;
  const restored = `restored_${databases}`;
  await server.createDatabase(source);
  await server.createDatabase(restored);
  await server.psql(SCHEMA + SEED, source);
  await server.psql(SCHEMA, restored);
  await install([source, restored]);
  return { source, restored };
}

/** Copies every row as the source holds it now: the stand-in for a restore to this instant. */
async function restoreAsOfNow(source: string, restored: string): Promise<void> {
  const from = await server.client(source);
  const to = await server.client(restored);
  try {
    for (const { name } of TABLES) {
      const rows = await from.query(`SELECT coalesce(json_agg(t), '[]') AS rows FROM ${name} AS t`);
      await to.query(`INSERT INTO ${name} SELECT * FROM json_populate_recordset(NULL::${name}, $1::json)`, [
        JSON.stringify(rows.rows[0].rows),
      ]);
    }
  } finally {
    await Promise.all([from.end(), to.end()]);
  }
}

/**
 * Connections to `database`; `afterSnapshot` runs when the first counting connection is requested, i.e. after
 * the coordinator took the snapshot at C and before any table is counted.
 */
function connectionsWithHook(database: string, afterSnapshot: () => Promise<void>): ConnectionFactory {
  const base = server.connectionFactory(database);
  let calls = 0;
  return async () => {
    calls += 1;
    if (calls === 2) await afterSnapshot();
    return base();
  };
}

async function verify(source: SourceCounts, restored: string, tables = TABLES) {
  const counts = await countRestored(server.connectionFactory(restored), tables, source.settleCutoff, {
    concurrency: 2,
  });
  return compareCounts(source, counts, tables);
}

const failsWith = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a VerificationMismatch');
};

describe('row-count verification against PostgreSQL 15', () => {
  it('passes identical data and measures freshness from the newest restored row', async () => {
    const { source, restored } = await sourceAndRestore();
    await restoreAsOfNow(source, restored);
    const counts = await countSource(server.connectionFactory(source), TABLES, COUNT_OPTIONS);

    expect(counts.tables.users.total).toBe(200);
    // The newest rows (inside the settle window) are not part of the compared counts.
    expect(counts.tables.users.settled).toBeGreaterThanOrEqual(195);
    expect(counts.tables.users.settled).toBeLessThan(200);
    expect(Date.parse(counts.countedAt) - Date.parse(counts.settleCutoff)).toBe(300_000);
    expect(counts.countedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);

    const v = await verify(counts, restored);
    expect(v.ok).toBe(true);
    expect(v.missingTables).toEqual([]);
    for (const verdict of v.tables) {
      expect(verdict).toMatchObject({ compared: 'settled', difference: 0, totalDifference: 0, withinTolerance: true });
    }
    const newest = await server.psql(
      `SELECT to_char(max(created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM audit_logs`,
      restored,
    );
    expect(v.tables.find((t) => t.table === 'audit_logs')?.restored?.newest).toBe(newest);
    // audit_logs holds the newest row, stamped 10 s before the seed ran.
    expect(v.freshnessSeconds).toBeCloseTo((Date.parse(counts.countedAt) - Date.parse(newest)) / 1000, 3);
    expect(v.freshnessSeconds).toBeGreaterThanOrEqual(10);
    expect(v.freshnessSeconds).toBeLessThan(20);
    expect(() => assertVerified(v)).not.toThrow();
  });

  it('ignores rows inserted and deleted in the source after C, even while the tables are being counted', async () => {
    const { source, restored } = await sourceAndRestore();
    const counting = connectionsWithHook(source, async () => {
      await restoreAsOfNow(source, restored);
      // Settled rows change: a counter that does not read the snapshot taken at C would see it.
      await server.psql(
        `INSERT INTO users (email, password_hash, created_at)
           SELECT 'late' || i || '@example.com', 'x', now() - interval '1 hour' FROM generate_series(1, 7) AS i;
         DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs ORDER BY created_at LIMIT 5);
         DELETE FROM platform_accounts WHERE id = 300;`,
        source,
      );
    });
    const counts = await countSource(counting, TABLES, COUNT_OPTIONS);
    await server.psql(`INSERT INTO audit_logs (user_id, action, created_at) VALUES (1, 'login', now())`, source);

    expect(counts.tables.users.total).toBe(200);
    expect(counts.tables.audit_logs.total).toBe(500);
    expect(counts.tables.platform_accounts.total).toBe(300);
    expect(await server.psql('SELECT count(*) FROM users', source)).toBe('207');
    const v = await verify(counts, restored);
    expect(v.ok).toBe(true);
    expect(v.tables.map((t) => [t.difference, t.totalDifference])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
  });

  it('fails when a row stamped before the cutoff is missing, naming the table and both counts', async () => {
    const { source, restored } = await sourceAndRestore();
    await restoreAsOfNow(source, restored);
    const counts = await countSource(server.connectionFactory(source), TABLES, COUNT_OPTIONS);
    await server.psql('DELETE FROM users WHERE id = (SELECT id FROM users ORDER BY created_at LIMIT 1)', restored);

    const v = await verify(counts, restored);
    expect(v.ok).toBe(false);
    expect(v.tables[0]).toMatchObject({ table: 'users', difference: -1, totalDifference: -1, withinTolerance: false });
    const error = failsWith(() => assertVerified(v));
    expect(error).toBeInstanceOf(VerificationMismatch);
    expect(error.name).toBe('VerificationMismatch');
    const settled = counts.tables.users.settled ?? Number.NaN;
    expect(error.message).toContain(
      `users: ${settled} rows at or before ${counts.settleCutoff} in the source, ${settled - 1} restored (tolerance 0)`,
    );
    expect(error.message).not.toContain('audit_logs');
  });

  it('reports, but does not fail on, rows inside the settle window', async () => {
    const { source, restored } = await sourceAndRestore();
    await restoreAsOfNow(source, restored);
    const counts = await countSource(server.connectionFactory(source), TABLES, COUNT_OPTIONS);
    await server.psql('DELETE FROM users WHERE id = (SELECT id FROM users ORDER BY created_at DESC LIMIT 1)', restored);

    const v = await verify(counts, restored);
    expect(v.ok).toBe(true);
    expect(v.tables[0]).toMatchObject({ table: 'users', difference: 0, totalDifference: -1, withinTolerance: true });
  });

  it('fails on a table missing in the restore, and names it', async () => {
    const { source, restored } = await sourceAndRestore();
    await restoreAsOfNow(source, restored);
    const counts = await countSource(server.connectionFactory(source), TABLES, COUNT_OPTIONS);
    await server.psql('DROP TABLE audit_logs', restored);

    const restoredCounts = await countRestored(server.connectionFactory(restored), TABLES, counts.settleCutoff, {
      concurrency: 3,
    });
    expect(restoredCounts.missingTables).toEqual(['audit_logs']);
    expect(Object.keys(restoredCounts.tables)).toEqual(['users', 'platform_accounts']);
    const v = compareCounts(counts, restoredCounts, TABLES);
    expect(v.ok).toBe(false);
    expect(v.missingTables).toEqual(['audit_logs']);
    expect(v.tables[2]).toMatchObject({ table: 'audit_logs', withinTolerance: false, totalDifference: -500 });
    expect(failsWith(() => assertVerified(v)).message).toMatch(/table audit_logs missing in the restore$/);
    expect(countsWithoutComparison(restoredCounts)).toMatchObject({ ok: false, missingTables: ['audit_logs'] });
  });

  it('agrees with a restore to C when a transaction open at C commits afterwards', async () => {
    const { source, restored } = await sourceAndRestore();
    const open = await server.client(source);
    try {
      await open.query('BEGIN');
      await open.query(
        `INSERT INTO users (email, password_hash, created_at)
           SELECT 'slow' || i || '@example.com', 'x', now() - interval '1 hour' FROM generate_series(1, 4) AS i`,
      );
      const counting = connectionsWithHook(source, async () => {
        // A restore to C does not contain a transaction that commits after C.
        await restoreAsOfNow(source, restored);
        await open.query('COMMIT');
      });
      const counts = await countSource(counting, TABLES, COUNT_OPTIONS);

      expect(counts.tables.users.total).toBe(200);
      expect(await server.psql('SELECT count(*) FROM users', source)).toBe('204');
      const v = await verify(counts, restored);
      expect(v.ok).toBe(true);
      expect(v.tables[0]).toMatchObject({ difference: 0, totalDifference: 0 });
    } finally {
      await open.end();
    }
  });

  it('honours tolerance, and compares totals for a table without a time column', async () => {
    const { source, restored } = await sourceAndRestore();
    await restoreAsOfNow(source, restored);
    await install([source], [...TABLES, { name: 'platform_accounts_copy' }]);
    const counts = await countSource(
      server.connectionFactory(source),
      [...TABLES, { name: 'platform_accounts_copy', tolerance: 0 }],
      COUNT_OPTIONS,
    ).catch((error: Error) => error);
    // A source table that does not exist is a configuration error, named.
    expect(counts).toBeInstanceOf(Error);
    expect((counts as Error).message).toMatch(/Counting platform_accounts_copy in the source failed: .*does not exist/);

    await server.psql(
      `DELETE FROM audit_logs WHERE id IN (SELECT id FROM audit_logs ORDER BY created_at LIMIT 2);
       DELETE FROM platform_accounts WHERE id = (SELECT id FROM platform_accounts ORDER BY created_at DESC LIMIT 1);`,
      restored,
    );
    const lenient: TableSpec[] = [
      { name: 'users', timeColumn: 'created_at', tolerance: 0 },
      { name: 'audit_logs', timeColumn: 'created_at', tolerance: 2 },
    ];
    const source1 = await countSource(server.connectionFactory(source), lenient, COUNT_OPTIONS);
    const v1 = await verify(source1, restored, lenient);
    expect(v1.ok).toBe(true);
    expect(v1.tables[1]).toMatchObject({ table: 'audit_logs', difference: -2, tolerance: 2, withinTolerance: true });

    const strict: TableSpec[] = [{ name: 'audit_logs', timeColumn: 'created_at', tolerance: 1 }];
    const v2 = await verify(
      await countSource(server.connectionFactory(source), strict, COUNT_OPTIONS),
      restored,
      strict,
    );
    expect(v2.ok).toBe(false);

    // The newest platform account is inside the settle window: fine with a time column, a failure without one.
    const withTime: TableSpec[] = [{ name: 'platform_accounts', timeColumn: 'created_at', tolerance: 0 }];
    const totalsOnly: TableSpec[] = [{ name: 'platform_accounts', tolerance: 0 }];
    const v3 = await verify(
      await countSource(server.connectionFactory(source), withTime, COUNT_OPTIONS),
      restored,
      withTime,
    );
    expect(v3.ok).toBe(true);
    await install([source, restored], totalsOnly);
    const source4 = await countSource(server.connectionFactory(source), totalsOnly, COUNT_OPTIONS);
    expect(source4.tables.platform_accounts).toEqual({ total: 300 });
    const v4 = await verify(source4, restored, totalsOnly);
    expect(v4.ok).toBe(false);
    expect(v4.tables[0]).toMatchObject({ compared: 'total', difference: -1, withinTolerance: false });
    expect(failsWith(() => assertVerified(v4)).message).toContain(
      'platform_accounts: 300 rows in the source, 299 restored (tolerance 0)',
    );
  });

  it('counts every table from the one snapshot, however long the counting takes', async () => {
    const { source } = await sourceAndRestore();
    // One second to count, so a commit can land between the two tables counted on the single connection.
    await server.psql(`CREATE VIEW slow_users AS SELECT * FROM users WHERE (SELECT pg_sleep(1)) IS NOT NULL`, source);
    const tables: TableSpec[] = [
      { name: 'slow_users', tolerance: 0 },
      { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
    ];
    await install([source], tables);
    const counting = countSource(server.connectionFactory(source), tables, { concurrency: 1, settleSeconds: 0 });
    const watcher = await server.client(source);
    try {
      for (let i = 0; i < 100; i += 1) {
        const active = await watcher.query(
          `SELECT count(*) AS n FROM pg_stat_activity
            WHERE state = 'active' AND query LIKE '%authdb_verify.table_counts%' AND pid <> pg_backend_pid()`,
        );
        if (active.rows[0].n === '1') break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await watcher.query(
        `INSERT INTO audit_logs (user_id, action, created_at) VALUES (1, 'login', now() - interval '1 day')`,
      );
    } finally {
      await watcher.end();
    }
    const counts = await counting;
    expect(counts.tables.slow_users.total).toBe(200);
    expect(counts.tables.audit_logs).toEqual({ total: 500, settled: 500 });
    expect(await server.psql('SELECT count(*) FROM audit_logs', source)).toBe('501');
  });

  it('refuses names that are not plain identifiers, before connecting', async () => {
    const noConnection: ConnectionFactory = () => Promise.reject(new Error('must not connect'));
    const cases: Array<[TableSpec, RegExp]> = [
      [{ name: 'users; DROP TABLE users', tolerance: 0 }, /Invalid table name "users; DROP TABLE users"/],
      [{ name: 'Users', tolerance: 0 }, /Invalid table name "Users": allowed are lower-case letters/],
      [{ name: 'a.b.c', tolerance: 0 }, /Invalid table name "a.b.c".*schema\.table/],
      [{ name: 'users', timeColumn: 'created_at"--', tolerance: 0 }, /Invalid time column "created_at\\"--"/],
      [{ name: 'users', tolerance: -1 }, /Invalid tolerance -1 for table users/],
      [{ name: 'users', tolerance: 0.5 }, /Invalid tolerance 0.5 for table users/],
    ];
    for (const [spec, message] of cases) {
      await expect(countSource(noConnection, [spec], COUNT_OPTIONS)).rejects.toThrow(message);
      await expect(countRestored(noConnection, [spec], '2026-01-01T00:00:00Z', { concurrency: 1 })).rejects.toThrow(
        message,
      );
    }
    await expect(countSource(noConnection, [], COUNT_OPTIONS)).rejects.toThrow(/at least one table/);
    await expect(countSource(noConnection, TABLES, { concurrency: 0, settleSeconds: 300 })).rejects.toThrow(
      /Invalid concurrency 0/,
    );
  });

  it('counts schema-qualified tables', async () => {
    const { source, restored } = await sourceAndRestore();
    await restoreAsOfNow(source, restored);
    const qualified: TableSpec[] = [{ name: 'public.users', timeColumn: 'created_at', tolerance: 0 }];
    await install([source, restored], qualified);
    const counts = await countSource(server.connectionFactory(source), qualified, COUNT_OPTIONS);
    expect(counts.tables['public.users'].total).toBe(200);
    expect((await verify(counts, restored, qualified)).ok).toBe(true);
  });

  it('closes every connection, also when counting fails', async () => {
    const { source } = await sourceAndRestore();
    const opened: pg.Client[] = [];
    const base = server.connectionFactory(source);
    const tracking: ConnectionFactory = async () => {
      const client = await base();
      opened.push(client);
      return client;
    };
    const tables = [...TABLES, { name: 'no_such_table', tolerance: 0 }];
    await expect(countSource(tracking, tables, { concurrency: 2, settleSeconds: 0 })).rejects.toThrow(/no_such_table/);
    expect(opened).toHaveLength(3);
    // A backend leaves pg_stat_activity a moment after its client disconnected.
    let stillOpen = '';
    for (let i = 0; i < 50 && stillOpen !== '0'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      stillOpen = await server.psql(
        `SELECT count(*) FROM pg_stat_activity WHERE datname = '${source}' AND pid <> pg_backend_pid()`,
        source,
      );
    }
    expect(stillOpen).toBe('0');
  });
});

describe('rows after the recovery point (what a cutover leaves behind)', () => {
  const POINT = '2026-11-26T02:55:00.000Z';
  const tables: TableSpec[] = [
    { name: 'users', timeColumn: 'created_at', tolerance: 0 },
    { name: 'sessions', tolerance: 0 },
  ];

  it('counts, as the verifier role, the rows stamped after the point and not those at or before it', async () => {
    databases += 1;
    const db = `after_${databases}`;
    await server.createDatabase(db);
    await server.psql(
      `CREATE TABLE users (id bigserial PRIMARY KEY, password_hash text NOT NULL, created_at timestamptz NOT NULL);
       CREATE TABLE sessions (id bigserial PRIMARY KEY, token text NOT NULL);
       INSERT INTO users (password_hash, created_at) VALUES
         ('h', '2026-11-26T01:00:00Z'), ('h', '2026-11-26T02:54:59.999999Z'), ('h', '${POINT}'),
         ('h', '2026-11-26T02:55:00.000001Z'), ('h', '2026-11-26T04:00:00+09:00'), ('h', '2026-11-26T03:10:00Z');
       INSERT INTO sessions (token) SELECT md5(i::text) FROM generate_series(1, 5) i;`,
      db,
    );
    await install([db], tables);
    const after = await countRowsAfter(server.connectionFactory(db, 'verifier'), tables, POINT);
    // 02:55:00.000001Z and 03:10Z are after the point; 04:00+09 is 19:00Z the day before; the point itself is not.
    expect(after.tables).toEqual([
      { table: 'users', timeColumn: 'created_at', rows: 2 },
      { table: 'sessions', rows: 'unknown' },
    ]);
    expect(after.recoveryPoint).toBe(POINT);
    expect(Date.parse(after.countedAt ?? '')).toBeGreaterThan(Date.parse(POINT));

    await server.psql(`INSERT INTO users (password_hash, created_at) VALUES ('h', '2026-11-26T03:00:00Z')`, db);
    const later = await countRowsAfter(server.connectionFactory(db, 'verifier'), tables, POINT);
    expect(later.tables[0]).toEqual({ table: 'users', timeColumn: 'created_at', rows: 3 });
  });

  it('names a configured table missing in the source, and refuses a recovery point that is no time', async () => {
    databases += 1;
    const db = `after_${databases}`;
    await server.createDatabase(db);
    await server.psql('CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL)', db);
    await install([db], tables);
    await expect(countRowsAfter(server.connectionFactory(db, 'verifier'), tables, POINT)).rejects.toThrow(
      /Counting sessions in the source failed: relation sessions does not exist/,
    );
    await expect(countRowsAfter(server.connectionFactory(db, 'verifier'), tables, 'yesterday')).rejects.toThrow(
      'Invalid recovery point "yesterday": expected an ISO-8601 timestamp',
    );
  });
});

describe('compareCounts', () => {
  const source: SourceCounts = {
    countedAt: '2026-03-01T03:00:00.000000Z',
    settleCutoff: '2026-03-01T02:55:00.000000Z',
    tables: { users: { total: 10, settled: 8 } },
  };

  it('throws when the source was counted with other table settings', () => {
    const restored = { cutoff: source.settleCutoff, tables: { users: { total: 10, settled: 8 } }, missingTables: [] };
    expect(() => compareCounts(source, restored, [{ name: 'audit_logs', tolerance: 0 }])).toThrow(
      /audit_logs has no total count from the source/,
    );
  });

  it('leaves freshness out when no restored row carries a time', () => {
    const restored = { cutoff: source.settleCutoff, tables: { users: { total: 10, settled: 8 } }, missingTables: [] };
    const v = compareCounts(source, restored, [{ name: 'users', timeColumn: 'created_at', tolerance: 0 }]);
    expect(v.ok).toBe(true);
    expect(v).not.toHaveProperty('freshnessSeconds');
    expect(countsWithoutComparison(restored)).toEqual({
      ok: true,
      compared: false,
      cutoff: source.settleCutoff,
      tables: restored.tables,
      missingTables: [],
    });
  });
});

describe('database connections', () => {
  it('verifies TLS against the given CA bundle and host name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'authdb-dr-ca-'));
    try {
      const bundle = join(dir, 'ca-cert.pem');
      const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      await writeFile(bundle, pem);
      expect(tlsOptions(bundle, 'authdb.abc.ap-northeast-2.rds.amazonaws.com')).toEqual({
        rejectUnauthorized: true,
        ca: pem,
        servername: 'authdb.abc.ap-northeast-2.rds.amazonaws.com',
      });
      const missing = join(dir, 'missing.pem');
      expect(() => tlsOptions(missing, 'db')).toThrow(`Cannot read the CA bundle at ${missing}`);
      await writeFile(join(dir, 'empty.pem'), '');
      expect(() => tlsOptions(join(dir, 'empty.pem'), 'db')).toThrow(/contains no PEM certificate/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses TLS settings that skip verification, even through a cast', async () => {
    const unverified = { rejectUnauthorized: false, ca: '', servername: 'db' } as unknown as VerifiedTlsOptions;
    await expect(
      connect(server.endpoint(), async () => '', { ssl: unverified, statementTimeoutMs: 1000 }),
    ).rejects.toThrow(/does not verify the server certificate/);
  });

  it('sets UTC, the statement timeout and the application name on every connection', async () => {
    const client = await connect(server.endpoint(), async () => '', {
      ssl: undefined,
      statementTimeoutMs: 200,
      applicationName: 'drill-verifier',
    });
    try {
      const settings = await client.query(
        `SELECT current_setting('TimeZone') AS tz, current_setting('statement_timeout') AS timeout,
                current_setting('application_name') AS app`,
      );
      expect(settings.rows[0]).toEqual({ tz: 'UTC', timeout: '200ms', app: 'drill-verifier' });
      await expect(client.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
    } finally {
      await client.end();
    }
  });

  it('names the endpoint but never the password when a connection fails', async () => {
    const closed = { ...server.endpoint(), port: 1 };
    const error = await connect(closed, async () => 'secret-token', { ssl: undefined, statementTimeoutMs: 1000 }).catch(
      (e: Error) => e,
    );
    expect((error as Error).message).toMatch(/Cannot connect to postgres on 127\.0\.0\.1:1 as postgres/);
    expect((error as Error).message).not.toContain('secret-token');
  });

  it('signs an IAM authentication token for the endpoint and user', async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLEEXAMPLE00';
    process.env.AWS_SECRET_ACCESS_KEY = 'example-secret-key-for-signing-only';
    try {
      const endpoint = {
        host: 'authdb.abc.ap-northeast-2.rds.amazonaws.com',
        port: 5432,
        database: 'authdb',
        user: 'drill_verifier',
      };
      const token = await iamAuthToken(endpoint, 'ap-northeast-2')();
      expect(token).toMatch(
        /^authdb\.abc\.ap-northeast-2\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=drill_verifier&/,
      );
      expect(token).toContain('X-Amz-Signature=');
      expect(token).toContain('ap-northeast-2%2Frds-db%2Faws4_request');
    } finally {
      process.env = saved;
    }
  });
});
