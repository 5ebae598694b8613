// How close the rewind's recovery point R gets to the incident time T, and how long the catch-up takes, on a local
// PostgreSQL 15 primary and a standby that applies commits DELAY_S late (the RDS delayed replica in small).
//
// For each amount of WAL: write that much (small transactions from 4 connections, running across T), freeze replay,
// set the recovery target T and restart the standby (as the workflow reboots the replica), and time until replay has
// stopped just before T. Prints the WAL held back, the catch-up time and rate, and T − R. RDS adds its own reboot
// and promotion time (minutes); this measures what PostgreSQL does. Run: npm run bench -- rewind
import { checkRecoveryTarget, freezeReplay } from '../lambda/rewind-replay/replay.js';
import { ensureReplayControlRole } from '../lambda/shared/replay-control-role.js';
import { recoveryTargetSettings } from '../lambda/shared/rewind.js';
import { type PostgresServer, type StandbyServer, startPostgres, startStandby } from '../test/support/postgres.js';

const DELAY_S = 15;
const WAL_MB = [16, 64];
const ROLE = 'authdb_replay_control';
const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function once(megabytes: number): Promise<void> {
  const primary: PostgresServer = await startPostgres();
  let standby: StandbyServer | undefined;
  try {
    await primary.psql(
      'CREATE TABLE events (id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp())',
    );
    const master = await primary.client();
    await ensureReplayControlRole(master, { role: ROLE, database: 'postgres', iamAuth: false });
    await master.end();
    standby = await startStandby(primary, { recovery_min_apply_delay: `${DELAY_S}s` });
    await primary.psql(`INSERT INTO events (payload) VALUES ('warm-up')`);
    // The standby must have replayed a commit before the freeze can compare it with T.
    while ((await standby.psql('SELECT count(*) FROM events')) !== '1') await sleep(200);
    const lsnBefore = await primary.psql('SELECT pg_current_wal_lsn()');
    // Each transaction ~1 MB of WAL: half before T, half after.
    const writers = await Promise.all([1, 2, 3, 4].map(() => primary.client()));
    const per = Math.max(1, Math.round(megabytes / 2 / writers.length));
    const write = () =>
      Promise.all(
        writers.map(async (c) => {
          for (let i = 0; i < per; i++)
            await c.query(
              `INSERT INTO events (payload) SELECT repeat(md5(random()::text), 30) FROM generate_series(1, 1000)`,
            );
        }),
      );
    await write();
    const incidentTime = await primary.psql(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', ${ISO_US})`);
    await write();
    await Promise.all(writers.map((c) => c.end()));
    const walBytes = Number(await primary.psql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${lsnBefore}')`));

    const replay = await standby.connectionFactory('postgres', ROLE)();
    const frozen = await freezeReplay(replay, incidentTime, 'bench');
    await replay.end();
    const started = Date.now();
    await standby.configure(recoveryTargetSettings(incidentTime));
    await standby.restart();
    let recoveryPoint = '';
    for (;;) {
      const client = await standby.connectionFactory('postgres', ROLE)();
      const progress = await checkRecoveryTarget(client, incidentTime, frozen.lastReplayAt).finally(() => client.end());
      if (progress.reached) {
        recoveryPoint = progress.recoveryPoint;
        break;
      }
      await sleep(100);
    }
    const seconds = (Date.now() - started) / 1000;
    const gapMs = Date.parse(incidentTime) - Date.parse(recoveryPoint);
    console.log(
      `${(walBytes / 2 ** 20).toFixed(0).padStart(5)} MiB WAL written | restart + replay to T: ${seconds.toFixed(1)} s ` +
        `(${(walBytes / 2 ** 20 / 2 / seconds).toFixed(1)} MiB/s for the half before T) | T − R = ${gapMs.toFixed(1)} ms`,
    );
  } finally {
    await standby?.stop();
    await primary.stop();
  }
}

async function main() {
  console.log(`delayed standby (recovery_min_apply_delay ${DELAY_S}s), recovery target T, restart, replay to T`);
  for (const mb of WAL_MB) await once(mb);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
