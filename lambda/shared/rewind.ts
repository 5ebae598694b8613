/** Names Step Functions matches in Retry and Catch (`ErrorEquals`). */
export type RewindErrorName =
  | 'InvalidInput'
  | 'IncidentTooOld'
  | 'ReplicaNotReplaying'
  | 'RecoveryTargetNotApplied'
  | 'ReplayedPastIncident'
  | 'ReplicaFailed'
  | 'RebootTimedOut'
  | 'ReplayTimedOut'
  | 'PromotionTimedOut'
  | 'VerificationFailed';

/** An error whose `name` the state machine catches, with a message that says what is wrong and what to do. */
export class RewindError extends Error {
  constructor(
    override readonly name: RewindErrorName,
    message: string,
  ) {
    super(message);
  }
}

export { type RewindInput, rewindInputSchema } from '../../contract/rewind-input.js';

/** T as PostgreSQL reads it without ambiguity, microseconds kept: `YYYY-MM-DD HH:MM:SS.ffffff+00`. */
export function postgresUtc(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RewindError('InvalidInput', `Not a time: ${JSON.stringify(iso)}`);
  // Date keeps milliseconds only; carry the sub-millisecond digits of the input over by hand.
  const fraction = /\.(\d+)/.exec(iso)?.[1] ?? '';
  const micros = fraction.padEnd(6, '0').slice(3, 6);
  const utc = new Date(ms).toISOString(); // 2026-01-31T03:00:00.123Z
  return `${utc.slice(0, 10)} ${utc.slice(11, 23)}${micros}+00`;
}

/**
 * The replica settings that stop replay just before the first commit stamped at or after T and hold it there:
 * `recovery_target_inclusive = 0` excludes a commit at exactly T, `pause` keeps it a replica until it is promoted,
 * and promotion then ends recovery at that point instead of replaying the WAL it has received beyond it. No apply
 * delay, so the replica gets to T as fast as it can replay. The targets take effect at the next restart.
 */
export function recoveryTargetSettings(incidentTime: string): Record<string, string> {
  return {
    recovery_target_time: postgresUtc(incidentTime),
    recovery_target_inclusive: '0',
    recovery_target_action: 'pause',
    recovery_min_apply_delay: '0',
  };
}

/** What the operator reads when T is older than the delayed replica's state: the point-in-time restore is the path. */
export function incidentTooOldMessage(incidentTime: string, lastReplayAt: string | null, environment: string): string {
  const held = lastReplayAt === null ? 'an unknown point (no commit replayed since it started)' : lastReplayAt;
  return (
    `Cannot rewind to before ${incidentTime}: the delayed replica has replayed commits up to ${held}, so it no ` +
    `longer holds the data as it was before the incident. Use the point-in-time restore instead: authdb-dr restore ` +
    `start --env ${environment} --source authdb-${environment} --time <a time before ${incidentTime}> ` +
    `--target authdb-${environment}-restored-<n>`
  );
}
