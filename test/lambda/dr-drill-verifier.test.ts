import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { regionOfEndpoint } from '../../lambda/dr-drill-verifier/region.js';
import { drVerifier } from '../../lambda/dr-drill-verifier/verifier.js';
import type { VerifyResult } from '../../lambda/shared/drill.js';
import type { SourceCounts, TableSpec } from '../../lambda/shared/row-counts.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { createVerifiedDatabase } from '../support/verified-database.js';

/** The DR-region drill's verifier against a real PostgreSQL 15: `primary` and `scratch` are two databases on it. */

const TABLES: TableSpec[] = [
  { name: 'users', timeColumn: 'created_at', tolerance: 0 },
  { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
];
const SCHEMA = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, action text NOT NULL, created_at timestamptz NOT NULL);
  INSERT INTO users (email, created_at)
    SELECT 'u' || i || '@example.com', now() - i * interval '1 minute' FROM generate_series(1, 40) AS i;
  INSERT INTO audit_logs (action, created_at)
    SELECT 'login', now() - i * interval '1 minute' FROM generate_series(1, 30) AS i;
`;
const VERIFIER = 'authdb_verifier';
const config = { tables: TABLES, settleSeconds: 300, concurrency: 2 };
let pg: PostgresServer;
let connected: string[];

beforeAll(async () => {
  pg = await startPostgres();
  await createVerifiedDatabase(pg, 'primary', SCHEMA, { role: VERIFIER, tables: TABLES });
  await pg.psql('CREATE DATABASE scratch TEMPLATE "primary"');
  await pg.psql('CREATE DATABASE scratch_without_audit TEMPLATE "primary"');
  await pg.psql('DROP TABLE audit_logs', 'scratch_without_audit');
});
afterAll(async () => {
  await pg?.stop();
});

const deps = () => {
  connected = [];
  return {
    connectTo: (endpoint: { host: string }) => {
      connected.push(endpoint.host);
      return pg.connectionFactory(endpoint.host, VERIFIER);
    },
    now: () => new Date('2026-11-25T01:20:00.000Z'),
  };
};
const at = (host: string) => ({ host, port: 5432 });
const state = (scratch: string, extra: Record<string, unknown> = {}) => ({
  plan: { mode: 'point-in-time', primary: { reachable: false, reason: 'Primary region unreachable: timeout' } },
  scratch: { endpoint: at(scratch) },
  restore: { requestedAt: new Date().toISOString() },
  ...extra,
});

describe('drVerifier', () => {
  it('counts the primary at C as the primary drill does (count-source)', async () => {
    const d = deps();
    const counts = (await drVerifier(
      { action: 'count-source', plan: { mode: 'point-in-time', source: at('primary') } },
      config,
      d,
    )) as SourceCounts;
    expect(Object.keys(counts.tables).sort()).toEqual(['audit_logs', 'users']);
    expect(counts.tables.users!.total).toBe(40);
    expect(connected).toEqual(['primary']);
  });

  it('compares exactly with the primary when it was counted', async () => {
    const d = deps();
    const sourceCounts = (await drVerifier(
      { action: 'count-source', plan: { mode: 'point-in-time', source: at('primary') } },
      config,
      d,
    )) as SourceCounts;
    const result = (await drVerifier(
      state('scratch', {
        plan: { mode: 'point-in-time', source: at('primary'), primary: { reachable: true } },
        sourceCounts,
      }),
      config,
      d,
    )) as VerifyResult;
    expect(result).toMatchObject({ compared: true, ok: true, complete: true });
  });

  it('counts the restore only, with the reason, and connects to nothing but the scratch when the primary was not counted', async () => {
    const d = deps();
    const result = (await drVerifier(state('scratch'), config, d)) as VerifyResult;
    expect(result).toMatchObject({
      compared: false,
      ok: true,
      complete: true,
      summary: '2 tables counted, not compared: Primary region unreachable: timeout',
      verifiedAt: '2026-11-25T01:20:00.000Z',
    });
    expect(result.compared === false && result.report.tables.users!.total).toBe(40);
    expect(new Set(connected)).toEqual(new Set(['scratch']));
  });

  it('says the primary could not be counted when the plan gives no reason', async () => {
    const result = await drVerifier(state('scratch', { plan: { primary: { reachable: true } } }), config, deps());
    expect((result as VerifyResult).summary).toBe('2 tables counted, not compared: the primary could not be counted');
  });

  it('fails the restore that lacks a table, naming it', async () => {
    const result = (await drVerifier(state('scratch_without_audit'), config, deps())) as VerifyResult;
    expect(result).toMatchObject({ ok: false, complete: false, summary: 'Tables missing in the restore: audit_logs' });
  });

  it('refuses a state without the scratch endpoint or the restore request time, connecting to nothing', async () => {
    const d = deps();
    await expect(drVerifier({ ...state('scratch'), scratch: {} }, config, d)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Invalid verifier event: scratch.endpoint = missing'),
    });
    await expect(
      drVerifier({ ...state('scratch'), restore: { requestedAt: 'soon' } }, config, d),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('restore.requestedAt = "soon"') });
    expect(connected).toEqual([]);
  });
});

describe('regionOfEndpoint', () => {
  it("takes the region from an RDS endpoint (the IAM token is signed for the instance's region)", () => {
    expect(regionOfEndpoint('authdb-prod.abc123.ap-northeast-2.rds.amazonaws.com', 'ap-southeast-1')).toBe(
      'ap-northeast-2',
    );
    expect(regionOfEndpoint('db.abc.cn-north-1.rds.amazonaws.com.cn', 'x')).toBe('cn-north-1');
    expect(regionOfEndpoint('db.abc.us-gov-west-1.rds.amazonaws.com', 'x')).toBe('us-gov-west-1');
  });

  it('falls back to this region for any other host', () => {
    for (const host of ['127.0.0.1', 'authdb.internal', 'db.abc.ap-northeast-2.rds.amazonaws.com.evil.example']) {
      expect(regionOfEndpoint(host, 'ap-southeast-1')).toBe('ap-southeast-1');
    }
  });
});

describe('dr-drill-verifier handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails at load naming a malformed connect timeout', async () => {
    vi.stubEnv('DATABASE_NAME', 'authdb');
    vi.stubEnv('VERIFIER_USER', VERIFIER);
    vi.stubEnv('AWS_REGION', 'ap-southeast-1');
    vi.stubEnv('STATEMENT_TIMEOUT_MS', '300000');
    vi.stubEnv('CONNECT_TIMEOUT_MS', 'ten seconds');
    await expect(import('../../lambda/dr-drill-verifier/handler.js')).rejects.toThrow(
      'Environment variable CONNECT_TIMEOUT_MS must be a whole number, got "ten seconds"',
    );
  });

  it('refuses a bad event before connecting anywhere', async () => {
    vi.stubEnv('DATABASE_NAME', 'authdb');
    vi.stubEnv('VERIFIER_USER', VERIFIER);
    vi.stubEnv('AWS_REGION', 'ap-southeast-1');
    vi.stubEnv('STATEMENT_TIMEOUT_MS', '300000');
    vi.stubEnv('CONNECT_TIMEOUT_MS', '10000');
    vi.stubEnv('TABLES', JSON.stringify(TABLES));
    vi.stubEnv('SETTLE_SECONDS', '300');
    vi.stubEnv('CONCURRENCY', '2');
    const { handler } = await import('../../lambda/dr-drill-verifier/handler.js');
    await expect(handler({ plan: {} })).rejects.toMatchObject({ name: 'InvalidInput' });
  });
});
