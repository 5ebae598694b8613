export {
  type DrillInput,
  type DrillMode,
  drillInputSchema,
  type ExecutionContext,
  executionContextSchema,
  recoveryPointArn,
  scratchInstanceId,
} from '../../contract/drill-input.js';

import type { DrillMode } from '../../contract/drill-input.js';
import type { RestoredReport, RowsAfterRecoveryPoint, SourceCounts, Verification } from './row-counts.js';

/** `arn:...:execution:NAME:EXEC` -> `arn:...:stateMachine:NAME`. */
export function stateMachineArnOf(executionArn: string): string {
  const parts = executionArn.split(':');
  if (parts.length < 8 || parts[5] !== 'execution') throw new Error(`Not an execution ARN: ${executionArn}`);
  return [...parts.slice(0, 5), 'stateMachine', parts[6]].join(':');
}

export interface Endpoint {
  host: string;
  port: number;
}

/** What preflight decides; every later state reads it. Holds no secret. */
export interface DrillPlan {
  environment: string;
  mode: DrillMode;
  sourceInstanceId: string;
  source: Endpoint;
  scratchInstanceId: string;
  executionArn: string;
  executionName: string;
  startedAt: string;
  /** Snapshot modes: what is restored (identifier or ARN) and when it was taken. */
  snapshot?: { identifier: string; createdAt: string };
  /** now - the source's LatestRestorableTime, at preflight. */
  rpo: { latestRestorableTime: string; lagSeconds: number; measuredAt: string };
}

export interface RestoreRequest {
  instanceId: string;
  requestedAt: string;
  /** The restore time honoured (C), point-in-time mode only. */
  restoreTime?: string;
  /** True when a retried task found the instance it had already asked for. */
  alreadyRequested: boolean;
}

export interface InstanceStatus {
  instanceId: string;
  status: string;
  available: boolean;
  /** Available with no modification pending (a modification applied immediately has finished). */
  settled: boolean;
  failed: boolean;
  /** Waited longer than allowed (scratch: the configured maximum; source: for its restorable time). */
  timedOut: boolean;
  checkedAt: string;
  endpoint?: Endpoint;
  latestRestorableTime?: string;
  /** Source only: LatestRestorableTime has reached the restore time. */
  restorable?: boolean;
}

interface VerifyOutcome {
  /** Every table matches within tolerance (what a drill requires). */
  ok: boolean;
  /**
   * No table is missing and none has fewer settled rows than the source (more is fine: rows the source lost after
   * the recovery point, which is why one restores). What a restore requires before a cutover.
   */
  complete: boolean;
  summary: string;
  verifiedAt: string;
  /** Restore only: the source's rows stamped after the recovery point, counted at verification time. */
  rowsAfterRecoveryPoint?: RowsAfterRecoveryPoint;
}

export type VerifyResult =
  | (VerifyOutcome & { compared: true; verification: Verification })
  | (VerifyOutcome & { compared: false; report: RestoredReport });

export interface CleanupResult {
  instanceId: string;
  action: 'deleted' | 'already-deleting' | 'not-found';
  at: string;
}

/** The state the drill's states pass along (JSONPath result paths). */
export interface DrillState {
  plan: DrillPlan;
  sourceCounts?: SourceCounts;
  sourceStatus?: InstanceStatus;
  restore?: RestoreRequest;
  scratch?: InstanceStatus;
  verification?: VerifyResult;
  cleanup?: CleanupResult;
  /** Cleanup failed after its retries: the scratch instance is left for the sweeper. */
  cleanupError?: { Error: string; Cause: string };
  error?: { Error: string; Cause: string };
}
