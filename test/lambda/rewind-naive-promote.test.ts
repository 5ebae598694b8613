import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, type StandbyServer, startPostgres, startStandby } from '../support/postgres.js';

// Why the rewind sets a recovery target and reboots instead of pausing and promoting: promotion replays every WAL
// record the standby has received, including commits the pause (or the apply delay) was holding back.
let primary: PostgresServer;
let standby: StandbyServer;

beforeAll(async () => {
  primary = await startPostgres();
  await primary.psql('CREATE TABLE t (label text NOT NULL)');
  standby = await startStandby(primary, { recovery_min_apply_delay: '3s' });
}, 90_000);

afterAll(async () => {
  await standby?.stop();
  await primary?.stop();
});

describe('pausing a delayed standby and promoting it', () => {
  it('applies the commits the pause was holding back', async () => {
    await primary.psql(`INSERT INTO t VALUES ('before')`);
    const deadline = Date.now() + 30_000;
    while ((await standby.psql('SELECT count(*) FROM t')) !== '1') {
      if (Date.now() > deadline) throw new Error('standby did not replay the first row');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await standby.psql('SELECT pg_wal_replay_pause()');
    await primary.psql(`INSERT INTO t VALUES ('after the pause')`);
    // Received (streamed) but not applied: the paused standby still shows one row.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(await standby.psql('SELECT count(*) FROM t')).toBe('1');
    await standby.psql('SELECT pg_promote(true, 60)');
    expect(await standby.psql(`SELECT string_agg(label, ',' ORDER BY label) FROM t`)).toBe('after the pause,before');
  });
});
