import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDumpRole } from '../../../lambda/shared/dump-role.js';
import { seed } from '../../jobs/logical-dump-fixture.js';
import { type PostgresServer, startPostgres } from '../../support/postgres.js';

const run = promisify(execFile);
let server: PostgresServer;
let admin: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('authdb');
  await seed(server, 'authdb');
  admin = await server.client('authdb');
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

describe('the logical dump role', () => {
  it('can pg_dump the whole database, and nothing else: it cannot write', async () => {
    expect(await ensureDumpRole(admin, { role: 'authdb_dump', database: 'authdb', iamAuth: true })).toEqual({
      created: true,
    });
    const { stdout } = await run(`${server.binDir}/pg_dump`, ['--format=plain', '--data-only', '-t', 'users'], {
      env: { PGHOST: server.host, PGPORT: String(server.port), PGUSER: 'authdb_dump', PGDATABASE: 'authdb' },
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(stdout).toContain('u200@example.com');
    const dump = await server.connectionFactory('authdb', 'authdb_dump')();
    try {
      const write = await dump.query(`DELETE FROM users`).then(
        () => 'deleted',
        (error: { code?: string }) => error.code,
      );
      // 25006: read-only transaction.
      expect(write).toBe('25006');
      await dump.query('SET default_transaction_read_only = off');
      const escalate = await dump.query('DELETE FROM users').then(
        () => 'deleted',
        (error: { code?: string }) => error.code,
      );
      // 42501: no privilege to write, even outside a read-only transaction.
      expect(escalate).toBe('42501');
    } finally {
      await dump.end();
    }
  });

  it('converges an existing role and refuses one with SUPERUSER', async () => {
    expect(await ensureDumpRole(admin, { role: 'authdb_dump', database: 'authdb', iamAuth: false })).toEqual({
      created: false,
    });
    await admin.query('CREATE ROLE powerful SUPERUSER LOGIN');
    await expect(ensureDumpRole(admin, { role: 'powerful', database: 'authdb', iamAuth: false })).rejects.toThrow(
      /already exists with SUPERUSER/,
    );
  });
});
