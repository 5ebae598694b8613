import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { verifier } from '../../lambda/drill-verifier/verifier.js';
import type { TableSpec } from '../../lambda/shared/row-counts.js';
import { now, resetDrillMocks } from '../support/drill-lambdas.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { createVerifiedDatabase } from '../support/verified-database.js';

beforeEach(resetDrillMocks);

describe('verifier event validation', () => {
  const config = {
    tables: [{ name: 'users', timeColumn: 'created_at', tolerance: 0 }],
    settleSeconds: 300,
    concurrency: 1,
  };
  const planForVerifier = { mode: 'point-in-time', source: { host: 'authdb-dev.example', port: 5432 } };

  it('refuses an event without an action, connecting to nothing', async () => {
    const connectTo = vi.fn();
    await expect(verifier({ plan: planForVerifier }, config, { connectTo, now })).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        "Invalid verifier event: action = missing; allowed: Invalid discriminator value. Expected 'count-source' | 'verify'",
    });
    await expect(
      verifier({ action: 'restore', plan: planForVerifier }, config, { connectTo, now }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('action = "restore"; allowed: Invalid discriminator value.'),
    });
    expect(connectTo).not.toHaveBeenCalled();
  });

  it('refuses a verify without the scratch endpoint, connecting to nothing', async () => {
    const connectTo = vi.fn();
    await expect(
      verifier({ action: 'verify', plan: planForVerifier, scratch: { status: 'available' } }, config, {
        connectTo,
        now,
      }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message:
        'Invalid verifier event: scratch.endpoint = missing; allowed: Invalid input: expected object, received undefined',
    });
    await expect(
      verifier({ action: 'verify', plan: planForVerifier, scratch: { endpoint: { host: '', port: 5432 } } }, config, {
        connectTo,
        now,
      }),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('scratch.endpoint.host = ""') });
    expect(connectTo).not.toHaveBeenCalled();
  });
});

describe('verifier against a real PostgreSQL: snapshot restores and failures it records', () => {
  // Databases on one server stand for the instances: the endpoint's host names the database.
  const TABLES: TableSpec[] = [
    { name: 'users', timeColumn: 'created_at', tolerance: 0 },
    { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
  ];
  const VERIFIER = 'authdb_verifier';
  const config = { tables: TABLES, settleSeconds: 300, concurrency: 2 };
  const SNAPSHOT_AT = '2026-11-25T01:00:00.000Z';
  let pg: PostgresServer;

  beforeAll(async () => {
    pg = await startPostgres();
    await createVerifiedDatabase(
      pg,
      'source',
      `CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
       CREATE TABLE audit_logs (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
       INSERT INTO users (created_at) SELECT '${SNAPSHOT_AT}'::timestamptz - i * interval '1 minute'
         FROM generate_series(1, 20) AS i;
       INSERT INTO users (created_at) VALUES ('2026-11-25T01:05:00Z'), ('2026-11-25T01:06:00Z');
       INSERT INTO audit_logs (created_at) VALUES ('${SNAPSHOT_AT}'::timestamptz - interval '5 minutes');`,
      { role: VERIFIER, tables: TABLES },
    );
    await pg.psql('CREATE DATABASE restored TEMPLATE "source"');
    await pg.psql('CREATE DATABASE restored_without_audit TEMPLATE "source"');
    await pg.psql('DROP TABLE audit_logs', 'restored_without_audit');
    await pg.psql('CREATE DATABASE restored_other_schema TEMPLATE "source"');
    await pg.psql('ALTER TABLE users ADD COLUMN nickname text', 'restored_other_schema');
  }, 60_000);
  afterAll(async () => {
    await pg?.stop();
  });

  const at = (host: string) => ({ host, port: 5432 });
  const snapshotPlan = {
    mode: 'snapshot',
    source: at('source'),
    snapshot: { identifier: 'rds:authdb-dev-2026-11-25-01-00', createdAt: SNAPSHOT_AT },
  };
  const verifyEvent = (scratch: string, extra: Record<string, unknown> = {}) => ({
    action: 'verify',
    plan: snapshotPlan,
    scratch: { endpoint: at(scratch) },
    ...extra,
  });
  /** Connections by database; `failSourceAfter` source connections succeed, later ones fail (the source is lost). */
  const deps = (failSourceAfter = Number.POSITIVE_INFINITY) => {
    let sourceConnections = 0;
    return {
      connectTo: (endpoint: { host: string }) => {
        if (endpoint.host === 'source' && ++sourceConnections > failSourceAfter) {
          return () => Promise.reject(new Error('connect ETIMEDOUT authdb-dev.example:5432'));
        }
        return pg.connectionFactory(endpoint.host, VERIFIER);
      },
      now,
    };
  };

  it('reports a snapshot restore counted as of the snapshot, not compared, and the source rows after it', async () => {
    const result = await verifier(verifyEvent('restored', { recoveryPoint: SNAPSHOT_AT }), config, deps());
    expect(result).toMatchObject({
      compared: false,
      ok: true,
      complete: true,
      summary: '2 tables counted (snapshot restore: not compared)',
      rowsAfterRecoveryPoint: { recoveryPoint: SNAPSHOT_AT },
    });
    expect('rowsAfterRecoveryPoint' in result && result.rowsAfterRecoveryPoint?.error).toBeUndefined();
  });

  it('fails a snapshot restore that lacks a table, naming it, as incomplete', async () => {
    expect(await verifier(verifyEvent('restored_without_audit'), config, deps())).toMatchObject({
      ok: false,
      complete: false,
      summary: 'Tables missing in the restore: audit_logs',
    });
  });

  it('fails a snapshot restore whose schema differs from the source but keeps it complete', async () => {
    const result = await verifier(verifyEvent('restored_other_schema'), config, deps());
    expect(result).toMatchObject({ ok: false, complete: true });
    expect('summary' in result && result.summary).toMatch(/^Schema differs from the source: .*users/);
  });

  it('records a source that cannot be counted after the recovery point without failing the verification', async () => {
    // The schema comparison reaches the source; the count of rows after the point does not.
    const result = await verifier(verifyEvent('restored', { recoveryPoint: SNAPSHOT_AT }), config, deps(1));
    expect(result).toMatchObject({
      ok: true,
      rowsAfterRecoveryPoint: {
        recoveryPoint: SNAPSHOT_AT,
        tables: [],
        error: 'connect ETIMEDOUT authdb-dev.example:5432',
      },
    });
  });

  it('passes on a source it cannot reach for counting', async () => {
    await expect(verifier({ action: 'count-source', plan: snapshotPlan }, config, deps(0))).rejects.toThrow(
      'connect ETIMEDOUT',
    );
  });
});

describe('drill-verifier handler', () => {
  const env = {
    DATABASE_NAME: 'authdb',
    VERIFIER_USER: 'authdb_verifier',
    AWS_REGION: 'ap-northeast-2',
    STATEMENT_TIMEOUT_MS: '30000',
    TABLES: JSON.stringify([{ name: 'users', timeColumn: 'created_at', tolerance: 0 }]),
    SETTLE_SECONDS: '300',
    CONCURRENCY: '2',
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });
  const stub = () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  };

  it('refuses a bad event before connecting', async () => {
    stub();
    const { handler } = await import('../../lambda/drill-verifier/handler.js');
    await expect(handler({ action: 'verify' })).rejects.toMatchObject({ name: 'InvalidInput' });
  });

  it('fails at load naming a table list that is not JSON or not valid', async () => {
    stub();
    vi.stubEnv('TABLES', 'users,audit_logs');
    await expect(import('../../lambda/drill-verifier/handler.js')).rejects.toThrow(
      'Environment variable TABLES must be JSON, got users,audit_logs',
    );
    vi.resetModules();
    vi.stubEnv('TABLES', '[]');
    await expect(import('../../lambda/drill-verifier/handler.js')).rejects.toThrow(
      /^Invalid environment variable TABLES: .*allowed: at least one table/,
    );
  });

  it('fails at load naming a missing or malformed variable', async () => {
    stub();
    vi.stubEnv('DATABASE_NAME', '');
    await expect(import('../../lambda/drill-verifier/handler.js')).rejects.toThrow(
      'Missing environment variable DATABASE_NAME',
    );
    vi.resetModules();
    vi.stubEnv('DATABASE_NAME', 'authdb');
    vi.stubEnv('SETTLE_SECONDS', '5m');
    await expect(import('../../lambda/drill-verifier/handler.js')).rejects.toThrow(
      'Environment variable SETTLE_SECONDS must be a whole number, got "5m"',
    );
  });
});
