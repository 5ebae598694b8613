import { z } from 'zod';
import { incidentTooOldMessage, RewindError } from '../shared/rewind.js';

/** The part of a pg.Client the replay steps use: a connection to the delayed replica as the replay-control role. */
export interface ReplaySession {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

const stateRow = z.object({
  in_recovery: z.boolean(),
  pause_state: z.string().nullable(),
  last_replay_at: z.string().nullable(),
  before_incident: z.boolean().nullable(),
  now: z.string(),
  apply_delay_ms: z.coerce.number(),
  target_is_incident: z.boolean(),
  pending_bytes: z.coerce.number().nullable(),
});

const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** What the delayed replica says about its replay, read in one statement as the replay-control role. */
export interface ReplayState {
  inRecovery: boolean;
  /** `not paused`, `pause requested` or `paused`; null once promoted. */
  pauseState: string | null;
  /** Commit time of the last replayed transaction (ISO-8601 UTC, microseconds); null if none since start-up. */
  lastReplayAt: string | null;
  /** lastReplayAt < T, compared by PostgreSQL at full precision; null when lastReplayAt is. */
  beforeIncident: boolean | null;
  /** The replica's clock. */
  now: string;
  applyDelayMs: number;
  /** Whether the running server's recovery_target_time is exactly T. */
  targetIsIncident: boolean;
  /** WAL received but not yet replayed, in bytes. */
  pendingBytes: number | null;
}

export async function readReplayState(client: ReplaySession, incidentTime: string): Promise<ReplayState> {
  const result = await client.query(
    `SELECT pg_is_in_recovery() AS in_recovery,
            CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END AS pause_state,
            to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', ${ISO_US}) AS last_replay_at,
            pg_last_xact_replay_timestamp() < $1::timestamptz AS before_incident,
            to_char(clock_timestamp() AT TIME ZONE 'UTC', ${ISO_US}) AS now,
            (SELECT setting::bigint FROM pg_settings WHERE name = 'recovery_min_apply_delay') AS apply_delay_ms,
            coalesce(nullif(current_setting('recovery_target_time'), '')::timestamptz = $1::timestamptz, false)
              AS target_is_incident,
            pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint AS pending_bytes`,
    [incidentTime],
  );
  const row = stateRow.parse(result.rows[0]);
  return {
    inRecovery: row.in_recovery,
    pauseState: row.pause_state,
    lastReplayAt: row.last_replay_at,
    beforeIncident: row.before_incident,
    now: row.now,
    applyDelayMs: row.apply_delay_ms,
    targetIsIncident: row.target_is_incident,
    pendingBytes: row.pending_bytes,
  };
}

export interface Frozen {
  state: ReplayState;
  /** The last commit the replica holds: the recovery point if no commit between it and T is replayed later. */
  lastReplayAt: string;
}

/**
 * Stops replay at once, then checks that the replica still holds the data as it was before T: its last replayed
 * commit must be earlier than T. The pause is read back before the check, so no commit replayed between the check
 * and the pause can be missed. When T is too old the pause is lifted again (the replica keeps protecting the next
 * incident) and the error names the point-in-time restore.
 */
export async function freezeReplay(client: ReplaySession, incidentTime: string, environment: string): Promise<Frozen> {
  await pause(client);
  const state = await readReplayState(client, incidentTime);
  if (state.lastReplayAt === null || state.beforeIncident !== true) {
    await client.query('SELECT pg_wal_replay_resume()');
    throw new RewindError('IncidentTooOld', incidentTooOldMessage(incidentTime, state.lastReplayAt, environment));
  }
  return { state, lastReplayAt: state.lastReplayAt };
}

async function pause(client: ReplaySession): Promise<void> {
  try {
    await client.query('SELECT pg_wal_replay_pause()');
  } catch (error) {
    const message = (error as Error).message;
    if (/recovery is not in progress/i.test(message)) {
      throw new RewindError(
        'ReplicaNotReplaying',
        'The delayed replica is not replaying WAL (it was already promoted?): there is nothing to rewind',
      );
    }
    throw error;
  }
}

export type TargetProgress =
  | { reached: false; state: ReplayState }
  | { reached: true; state: ReplayState; recoveryPoint: string };

/**
 * After the restart with the recovery target: has replay stopped just before T? The running server must have T as
 * its recovery_target_time (a restart that missed the new settings would go on replaying with the old delay: replay
 * is paused again at once and the workflow stops). A replayed commit at or after T is fatal: that replica must
 * not be promoted. `frozenAt` is the last commit seen when replay was frozen; it is the recovery point when no
 * commit was replayed since the restart.
 */
export async function checkRecoveryTarget(
  client: ReplaySession,
  incidentTime: string,
  frozenAt: string,
): Promise<TargetProgress> {
  const state = await readReplayState(client, incidentTime);
  if (!state.inRecovery) {
    throw new RewindError('ReplicaNotReplaying', 'The delayed replica is no longer in recovery: it was promoted');
  }
  if (state.lastReplayAt !== null && state.beforeIncident !== true) {
    throw new RewindError(
      'ReplayedPastIncident',
      `The delayed replica replayed a commit at ${state.lastReplayAt}, at or after the incident time ${incidentTime}: ` +
        'do not promote it; use the point-in-time restore',
    );
  }
  if (!state.targetIsIncident) {
    await pause(client);
    throw new RewindError(
      'RecoveryTargetNotApplied',
      `The delayed replica restarted without recovery_target_time = ${incidentTime}; replay was paused again. ` +
        'Check its parameter group, then start the rewind again',
    );
  }
  // After a restart only reaching the target pauses replay (a pause requested by hand does not survive it).
  if (state.pauseState === 'paused') {
    return { reached: true, state, recoveryPoint: state.lastReplayAt ?? frozenAt };
  }
  return { reached: false, state };
}
