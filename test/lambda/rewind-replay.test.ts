import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRecoveryTarget, freezeReplay, readReplayState } from '../../lambda/rewind-replay/replay.js';
import { ensureVerifierRole } from '../../lambda/shared/readonly-role.js';
import { ensureReplayControlRole } from '../../lambda/shared/replay-control-role.js';
import { recoveryTargetSettings } from '../../lambda/shared/rewind.js';
import { countRestored } from '../../lambda/shared/row-counts.js';
import { type PostgresServer, type StandbyServer, startPostgres, startStandby } from '../support/postgres.js';

// A real primary and a streaming standby that applies commits DELAY_S seconds late, as the RDS delayed replica does.
const DELAY_S = 6;
const ROLE = 'authdb_replay_control';
const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let primary: PostgresServer;
let standby: StandbyServer;

async function asReplayControl<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await standby.connectionFactory('postgres', ROLE)();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const primaryClock = () => primary.psql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', ${ISO_US})`);

beforeAll(async () => {
  // Commit timestamps let the test say, for every row, whether it was committed before or after T.
  primary = await startPostgres({ settings: { track_commit_timestamp: 'on' } });
  await primary.psql(`
    CREATE TABLE events (id bigserial PRIMARY KEY, label text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp());
    CREATE TABLE accounts (id int PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT clock_timestamp());
    INSERT INTO accounts (id) SELECT generate_series(1, 100);
    INSERT INTO events (label) SELECT 'before' FROM generate_series(1, 20);`);
  const master = await primary.client();
  try {
    await ensureReplayControlRole(master, { role: ROLE, database: 'postgres', iamAuth: true });
    // The bootstrap's counting functions, which the workflow's verification uses on the promoted replica.
    await ensureVerifierRole(master, {
      role: 'authdb_verifier',
      database: 'postgres',
      schemas: [],
      iamAuth: false,
      tables: [
        { name: 'events', timeColumn: 'created_at' },
        { name: 'accounts', timeColumn: 'created_at' },
      ],
    });
  } finally {
    await master.end();
  }
  standby = await startStandby(primary, { recovery_min_apply_delay: `${DELAY_S}s`, track_commit_timestamp: 'on' });
  // The replica must have replayed a commit (pg_last_xact_replay_timestamp is null until then): the base backup
  // already holds the seed rows, so commit one more after it.
  await primary.psql(`INSERT INTO events (label) VALUES ('before')`);
  await until(
    'the standby to replay a commit',
    async () => (await standby.psql('SELECT count(*) FROM events')) === '21',
  );
}, 90_000);

afterAll(async () => {
  await standby?.stop();
  await primary?.stop();
});

describe('the replay-control role', () => {
  it('pauses, resumes and reads replay state on the replica, and can do nothing else', async () => {
    await asReplayControl(async (client) => {
      await client.query('SELECT pg_wal_replay_pause()');
      await until(
        'pause',
        async () => (await readReplayState(client, new Date().toISOString())).pauseState !== 'not paused',
      );
      await client.query('SELECT pg_wal_replay_resume()');
      expect((await readReplayState(client, new Date().toISOString())).pauseState).toBe('not paused');
      await expect(client.query('SELECT count(*) FROM accounts')).rejects.toThrow(/permission denied/);
      await expect(client.query('SELECT pg_promote()')).rejects.toThrow(/permission denied/);
    });
    // On the primary (where the role is created) it cannot write either.
    const onPrimary = await primary.connectionFactory('postgres', ROLE)();
    try {
      await expect(onPrimary.query('CREATE TABLE intruder (x int)')).rejects.toThrow(/read-only transaction/);
      await onPrimary.query('SET default_transaction_read_only = off');
      await expect(onPrimary.query('DELETE FROM accounts')).rejects.toThrow(/permission denied/);
    } finally {
      await onPrimary.end();
    }
  });
});

describe('rewinding the delayed standby to just before T', () => {
  it('refuses a T the replica has already replayed past, names the point-in-time restore, and lets replay go on', async () => {
    const tooOld = '2020-01-01T00:00:00Z';
    await asReplayControl(async (client) => {
      await expect(freezeReplay(client, tooOld, 'prod')).rejects.toMatchObject({
        name: 'IncidentTooOld',
        message: expect.stringMatching(/point-in-time restore instead: authdb-dr restore start --env prod/),
      });
      expect((await readReplayState(client, tooOld)).pauseState).toBe('not paused');
    });
  });

  it('keeps every commit before T and none at or after T: a transaction straddling T, a burst at T, a bad delete after T', async () => {
    // A transaction that begins before T and commits after it.
    const straddling = await primary.client();
    await straddling.query('BEGIN');
    await straddling.query(`INSERT INTO events (label) VALUES ('straddling')`);

    // A burst of small transactions from several connections, running across T.
    const writers = await Promise.all([1, 2, 3, 4].map(() => primary.client()));
    let bursting = true;
    const burst = writers.map(async (client) => {
      while (bursting) await client.query(`INSERT INTO events (label) VALUES ('burst')`);
    });
    await sleep(150);
    const incidentTime = await primaryClock();
    await sleep(150);
    bursting = false;
    await Promise.all(burst);
    await Promise.all(writers.map((client) => client.end()));
    await straddling.query('COMMIT');
    await straddling.end();
    // The bad write itself.
    await primary.psql('DELETE FROM accounts WHERE id > 10');

    const startedAt = Date.now();
    // Freeze at once: the delay still holds everything since T back.
    const frozen = await asReplayControl((client) => freezeReplay(client, incidentTime, 'test'));
    expect(frozen.lastReplayAt < incidentTime).toBe(true);

    // The recovery target (on RDS: the replica's parameter group, then a reboot).
    await standby.configure(recoveryTargetSettings(incidentTime));
    await standby.restart();
    let recoveryPoint = '';
    await until('replay to stop at the recovery target', () =>
      asReplayControl(async (client) => {
        const progress = await checkRecoveryTarget(client, incidentTime, frozen.lastReplayAt);
        if (progress.reached) recoveryPoint = progress.recoveryPoint;
        return progress.reached;
      }),
    );
    const caughtUpMs = Date.now() - startedAt;
    await standby.psql('SELECT pg_promote(true, 60)');
    expect(await standby.psql('SELECT pg_is_in_recovery()')).toBe('f');

    // What the primary committed before T, by commit timestamp, is exactly what the promoted replica has.
    const committedBeforeT = `pg_xact_commit_timestamp(xmin) < '${incidentTime}'::timestamptz`;
    const expected = await primary.psql(
      `SELECT string_agg(id::text, ',' ORDER BY id) FROM events WHERE ${committedBeforeT}`,
    );
    const after = await primary.psql(`SELECT count(*) FROM events WHERE NOT ${committedBeforeT}`);
    const burstBefore = await primary.psql(`SELECT count(*) FROM events WHERE label = 'burst' AND ${committedBeforeT}`);
    // The test means something only if the burst really straddled T.
    expect(Number(burstBefore)).toBeGreaterThan(0);
    expect(Number(after)).toBeGreaterThan(1);
    expect(await standby.psql(`SELECT string_agg(id::text, ',' ORDER BY id) FROM events`)).toBe(expected);
    expect(await standby.psql(`SELECT count(*) FROM events WHERE label = 'straddling'`)).toBe('0');
    expect(await standby.psql(`SELECT count(*) FROM events WHERE NOT ${committedBeforeT}`)).toBe('0');
    // The bad delete (after T) is not there: every account is back.
    expect(await standby.psql('SELECT count(*) FROM accounts')).toBe('100');

    // R: the last commit before T, no earlier than the newest row committed before T.
    const newestBefore = await primary.psql(
      `SELECT to_char(max(pg_xact_commit_timestamp(xmin)) AT TIME ZONE 'UTC', ${ISO_US}) FROM events WHERE ${committedBeforeT}`,
    );
    expect(recoveryPoint < incidentTime).toBe(true);
    expect(recoveryPoint >= newestBefore).toBe(true);

    // The workflow's verification: every table there, newest row time <= T.
    const verified = await countRestored(
      standby.connectionFactory('postgres'),
      [
        { name: 'events', timeColumn: 'created_at', tolerance: 0 },
        { name: 'accounts', timeColumn: 'created_at', tolerance: 0 },
      ],
      incidentTime,
      { concurrency: 2 },
    );
    expect(verified.missingTables).toEqual([]);
    expect(Date.parse(verified.tables.events!.newest!)).toBeLessThanOrEqual(Date.parse(incidentTime));
    expect(caughtUpMs).toBeLessThan(30_000);
  }, 90_000);
});
