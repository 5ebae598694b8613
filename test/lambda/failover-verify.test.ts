import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWriter } from '../../lambda/failover-verify/verify.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { createVerifiedDatabase } from '../support/verified-database.js';

const NOW = new Date('2026-11-30T10:00:00.000Z');
const now = () => NOW;
const tables = [
  { name: 'users', timeColumn: 'created_at', tolerance: 0 },
  { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
];
const config = { tables, concurrency: 2, maxDataAgeSeconds: 300 };
const endpoint = { host: 'dr-writer.example', port: 5432 };
let pg: PostgresServer;

/** What the primary's bootstrap installed and every copy carries: the verifier's counting functions. */
function database(name: string, sql: string): Promise<void> {
  return createVerifiedDatabase(pg, name, sql, { role: 'dr_verifier', tables });
}

beforeAll(async () => {
  pg = await startPostgres();
  await database(
    'complete',
    `CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
     CREATE TABLE audit_logs (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
     INSERT INTO users (created_at) VALUES ('2026-11-30T09:40:00Z'), ('2026-11-30T09:50:00Z');
     INSERT INTO audit_logs (created_at) VALUES ('2026-11-30T09:52:00Z');`,
  );
  await database(
    'partial',
    `CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
     INSERT INTO users (created_at) VALUES ('2026-11-30T09:50:00Z');`,
  );
  await database(
    'empty',
    `CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
     CREATE TABLE audit_logs (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);`,
  );
}, 60_000);

afterAll(async () => {
  await pg?.stop();
});

const on = (database: string) => {
  const asked: unknown[] = [];
  return {
    asked,
    deps: {
      connectTo: (at: { host: string; port: number }) => {
        asked.push(at);
        return pg.connectionFactory(database, 'dr_verifier');
      },
      now,
    },
  };
};

describe('failover-verify', () => {
  it('passes a writer holding every table with a fresh newest row, connecting to the event endpoint', async () => {
    const { asked, deps } = on('complete');
    const result = await verifyWriter(
      { action: 'verify', endpoint, recoveryPoint: '2026-11-30T09:55:00.000Z' },
      config,
      deps,
    );
    expect(result).toMatchObject({ ok: true, dataAgeSeconds: 180, verifiedAt: NOW.toISOString() });
    expect(asked).toEqual([endpoint]);
    expect('summary' in result && result.summary).toContain('users 2, audit_logs 1');
  });

  it('fails naming the missing tables', async () => {
    const result = await verifyWriter(
      { action: 'verify', endpoint, recoveryPoint: '2026-11-30T09:55:00.000Z' },
      config,
      on('partial').deps,
    );
    expect(result).toMatchObject({ ok: false, summary: 'tables missing: audit_logs' });
  });

  it('fails when the newest row is older than allowed before the recovery point', async () => {
    const result = await verifyWriter(
      { action: 'verify', endpoint, recoveryPoint: '2026-11-30T09:55:00.000Z' },
      { ...config, maxDataAgeSeconds: 60 },
      on('complete').deps,
    );
    expect(result).toMatchObject({ ok: false, dataAgeSeconds: 180 });
    expect('summary' in result && result.summary).toContain('(allowed: 60 s)');
  });

  it('measures against the verification time when the recovery point is unknown', async () => {
    const result = await verifyWriter({ action: 'verify', endpoint, recoveryPoint: null }, config, on('complete').deps);
    expect(result).toMatchObject({ ok: false, dataAgeSeconds: 480 });
  });

  it('fails when no row has a time value (freshness cannot be shown)', async () => {
    const result = await verifyWriter(
      { action: 'verify', endpoint, recoveryPoint: '2026-11-30T09:55:00.000Z' },
      config,
      on('empty').deps,
    );
    expect(result).toMatchObject({ ok: false, dataAgeSeconds: null });
    expect('summary' in result && result.summary).toContain('freshness cannot be shown');
  });

  it('reports no replayed commit on a server that is not a standby', async () => {
    expect(await verifyWriter({ action: 'lastReplayed', endpoint }, config, on('complete').deps)).toEqual({
      lastReplayedCommit: null,
      at: NOW.toISOString(),
    });
  });

  it('rejects a bad event naming the field before connecting', async () => {
    const { asked, deps } = on('complete');
    await expect(
      verifyWriter({ action: 'verify', endpoint: { host: '', port: 5432 }, recoveryPoint: null }, config, deps),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('endpoint.host') });
    await expect(
      verifyWriter({ action: 'verify', endpoint, recoveryPoint: 'yesterday' }, config, deps),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('recoveryPoint') });
    expect(asked).toEqual([]);
  });

  it('passes on a connection failure', async () => {
    await expect(
      verifyWriter({ action: 'lastReplayed', endpoint }, config, {
        connectTo: () => pg.connectionFactory('no_such_database'),
        now,
      }),
    ).rejects.toThrow(/no_such_database/);
  });
});

describe('failover-verify handler', () => {
  const env = {
    DATABASE_NAME: 'authdb',
    VERIFIER_USER: 'dr_verifier',
    AWS_REGION: 'ap-southeast-1',
    STATEMENT_TIMEOUT_MS: '30000',
    TABLES: JSON.stringify(tables),
    CONCURRENCY: '2',
    MAX_DATA_AGE_SECONDS: '300',
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('rejects a bad event before connecting', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const { handler } = await import('../../lambda/failover-verify/handler.js');
    await expect(handler({ action: 'verify', endpoint })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('recoveryPoint'),
    });
  });

  it('fails at load naming a missing or malformed variable', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv('VERIFIER_USER', '');
    await expect(import('../../lambda/failover-verify/handler.js')).rejects.toThrow(
      'Missing environment variable VERIFIER_USER',
    );
    vi.resetModules();
    vi.stubEnv('VERIFIER_USER', 'dr_verifier');
    vi.stubEnv('CONCURRENCY', 'two');
    await expect(import('../../lambda/failover-verify/handler.js')).rejects.toThrow(
      'Environment variable CONCURRENCY must be a whole number, got "two"',
    );
  });
});
