import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureVerifierRole } from '../../../lambda/shared/readonly-role.js';
import {
  assertVerified,
  compareCounts,
  countRestored,
  countSource,
  type TableSpec,
} from '../../../lambda/shared/row-counts.js';
import { type PostgresServer, recoverCluster, startPostgres } from '../../support/postgres.js';

const TABLES: TableSpec[] = [
  { name: 'users', timeColumn: 'created_at', tolerance: 0 },
  { name: 'platform_accounts', timeColumn: 'created_at', tolerance: 0 },
  { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
];

let primary: PostgresServer;
let recovered: PostgresServer | undefined;

beforeAll(async () => {
  primary = await startPostgres({ archive: true });
});

afterAll(async () => {
  await recovered?.stop();
  await primary?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('verification of a real point-in-time recovery', () => {
  it('counts a cluster recovered to C exactly as the source was counted at C', async () => {
    await primary.createDatabase('authdb');
    await primary.psql(
      `CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL,
                           created_at timestamptz NOT NULL DEFAULT clock_timestamp());
       CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, platform text NOT NULL,
                                       oauth_token text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp());
       CREATE TABLE audit_logs (id bigserial PRIMARY KEY, user_id bigint, action text NOT NULL,
                                created_at timestamptz NOT NULL DEFAULT clock_timestamp());
       INSERT INTO users (email, password_hash, created_at)
         SELECT 'user' || i || '@example.com', md5(i::text), now() - i * interval '1 minute' FROM generate_series(1, 300) AS i;`,
      'authdb',
    );
    // What the bootstrap does: the verifier role and the functions it counts through (copied by the recovery).
    const admin = await primary.client('authdb');
    await ensureVerifierRole(admin, {
      role: 'verifier',
      database: 'authdb',
      schemas: [],
      iamAuth: false,
      tables: TABLES,
    }).finally(() => admin.end());
    const baseBackupDir = await primary.baseBackup();

    // Write load running across C: every statement commits on its own, stamped with the commit-time clock.
    const writer = await primary.client('authdb');
    let writing = true;
    const load = (async () => {
      for (let i = 0; writing; i += 1) {
        await writer.query(`INSERT INTO audit_logs (user_id, action) VALUES (${i % 300}, 'login')`);
        if (i % 5 === 0) {
          await writer.query(
            `INSERT INTO platform_accounts (user_id, platform, oauth_token) VALUES (${i % 300}, 'steam', md5('${i}'))`,
          );
        }
        if (i % 7 === 0)
          await writer.query(`INSERT INTO users (email, password_hash) VALUES ('load${i}@example.com', 'x')`);
        await sleep(1);
      }
    })();
    await sleep(1500);
    const source = await countSource(primary.connectionFactory('authdb', 'verifier'), TABLES, {
      concurrency: 3,
      settleSeconds: 1,
    });
    await sleep(300);
    writing = false;
    await load;
    await writer.end();

    // After C: deletes of rows the restore must still hold, more inserts, then a commit after C and a WAL switch
    // so the archive holds everything recovery needs to stop at C.
    await primary.psql(
      `DELETE FROM users WHERE id <= 50;
       DELETE FROM audit_logs WHERE id % 2 = 0;
       INSERT INTO platform_accounts (user_id, platform, oauth_token)
         SELECT i, 'meta', md5(i::text) FROM generate_series(1, 100) AS i;
       SELECT txid_current();`,
      'authdb',
    );
    await primary.switchWalAndWaitForArchive();
    const archiveDir = primary.archiveDir ?? '';

    recovered = await recoverCluster({ baseBackupDir, archiveDir, targetTime: source.countedAt });
    const restored = await countRestored(
      recovered.connectionFactory('authdb', 'verifier'),
      TABLES,
      source.settleCutoff,
      {
        concurrency: 3,
      },
    );
    const verification = compareCounts(source, restored, TABLES);

    expect(source.tables.audit_logs.settled).toBeGreaterThan(0);
    expect(verification.missingTables).toEqual([]);
    expect(() => assertVerified(verification)).not.toThrow();
    for (const verdict of verification.tables) {
      expect(verdict.difference).toBe(0);
      // C is read just after the snapshot is taken, so the restore holds every commit the snapshot saw; commits in
      // that instant (a few with this load) come in addition. That is why totals are reported, not judged.
      expect(verdict.totalDifference).toBeGreaterThanOrEqual(0);
    }
    // The recovered cluster holds the state at C, not the primary's current state.
    expect(restored.tables.users.total).toBeGreaterThan(
      Number(await primary.psql('SELECT count(*) FROM users', 'authdb')),
    );
    // The newest restored row was written by the load just before C.
    expect(verification.freshnessSeconds).toBeGreaterThanOrEqual(0);
    expect(verification.freshnessSeconds).toBeLessThan(1);
  });
});
