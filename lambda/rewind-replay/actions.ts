import { z } from 'zod';
import { parseInput } from '../../contract/errors.js';
import type { ConnectionFactory } from '../shared/db.js';
import { RewindError } from '../shared/rewind.js';
import { countRestored, type TableSpec } from '../shared/row-counts.js';
import { checkRecoveryTarget, freezeReplay, type ReplaySession, readReplayState } from './replay.js';

export interface ReplayConfig {
  environment: string;
  tables: TableSpec[];
  concurrency: number;
  /** R may lie this far before T (rewind.marginMinutes). */
  marginSeconds: number;
  /** Estimates for the dry run (see bench/rewind.bench.ts and the README). */
  replayBytesPerSecond: number;
  rebootSeconds: number;
  promoteSeconds: number;
}

export interface ReplayDeps {
  /** The delayed replica, as the replay-control role. */
  replayControl: () => Promise<ReplaySession & { end(): Promise<void> }>;
  /** The delayed replica (promoted), as the read-only verifier role. */
  verifier: ConnectionFactory;
}

const time = z.string().min(1);
const event = z.discriminatedUnion('action', [
  z.object({ action: z.literal('dryRun'), incidentTime: time }),
  z.object({ action: z.literal('freeze'), incidentTime: time }),
  z.object({ action: z.literal('checkTarget'), incidentTime: time, frozenAt: time }),
  z.object({ action: z.literal('verify'), incidentTime: time }),
]);

/** One step of the rewind that talks to the delayed replica itself. */
export async function replayAction(raw: unknown, config: ReplayConfig, deps: ReplayDeps): Promise<unknown> {
  const e = parseInput(event, raw, 'rewind replay event');
  if (e.action === 'verify') return verify(e.incidentTime, config, deps);
  const client = await deps.replayControl();
  try {
    switch (e.action) {
      case 'dryRun':
        return dryRun(await readReplayState(client, e.incidentTime), e.incidentTime, config);
      case 'freeze': {
        const frozen = await freezeReplay(client, e.incidentTime, config.environment);
        return { frozenAt: frozen.lastReplayAt, pendingBytes: frozen.state.pendingBytes, at: frozen.state.now };
      }
      case 'checkTarget': {
        const progress = await checkRecoveryTarget(client, e.incidentTime, e.frozenAt);
        return progress.reached
          ? { reached: true, recoveryPoint: progress.recoveryPoint, at: progress.state.now }
          : { reached: false, pendingBytes: progress.state.pendingBytes, at: progress.state.now };
      }
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** What the rewind would do and how long it should take, from the replica's state; nothing is changed. */
function dryRun(state: Awaited<ReturnType<typeof readReplayState>>, incidentTime: string, config: ReplayConfig) {
  const canRewind = state.inRecovery && state.lastReplayAt !== null && state.beforeIncident === true;
  const replaySeconds = Math.ceil((state.pendingBytes ?? 0) / config.replayBytesPerSecond);
  return {
    canRewind,
    lastReplayAt: state.lastReplayAt,
    applyDelayMs: state.applyDelayMs,
    pendingBytes: state.pendingBytes,
    expectedRecoveryPoint: `the last commit before ${incidentTime} (no earlier than ${new Date(
      Date.parse(incidentTime) - config.marginSeconds * 1000,
    ).toISOString()} unless nothing was committed in between)`,
    expectedSeconds: canRewind ? config.rebootSeconds + replaySeconds + config.promoteSeconds : null,
    steps: canRewind
      ? [
          'pause replay on the delayed replica',
          `set recovery_target_time = ${incidentTime} (exclusive), recovery_target_action = pause, no apply delay`,
          `reboot the replica (about ${config.rebootSeconds} s) and let it replay to just before T (about ${replaySeconds} s)`,
          `promote it (about ${config.promoteSeconds} s) and verify the configured tables`,
        ]
      : ['refuse: the replica has replayed past T; use the point-in-time restore'],
  };
}

/** The promoted replica: every configured table present, totals, and no row stamped after T. */
async function verify(incidentTime: string, config: ReplayConfig, deps: ReplayDeps) {
  const counts = await countRestored(deps.verifier, config.tables, incidentTime, { concurrency: config.concurrency });
  const tooNew = Object.entries(counts.tables)
    .filter(([, c]) => c.newest !== undefined && Date.parse(c.newest) > Date.parse(incidentTime))
    .map(([table, c]) => `${table} (newest ${c.newest})`);
  const problems = [
    ...(counts.missingTables.length > 0 ? [`missing tables: ${counts.missingTables.join(', ')}`] : []),
    ...(tooNew.length > 0 ? [`rows stamped after ${incidentTime}: ${tooNew.join(', ')}`] : []),
  ];
  if (problems.length > 0) {
    throw new RewindError('VerificationFailed', `The promoted replica failed verification: ${problems.join('; ')}`);
  }
  return {
    ok: true,
    tables: Object.fromEntries(
      Object.entries(counts.tables).map(([t, c]) => [t, { total: c.total, newest: c.newest }]),
    ),
  };
}
