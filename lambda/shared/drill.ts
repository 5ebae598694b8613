import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { RestoredReport, RowsAfterRecoveryPoint, SourceCounts, Verification } from './row-counts.js';
import { DRILL_PREFIX } from './tags.js';

const snapshotIdentifier = z.string().regex(/^[a-zA-Z][a-zA-Z0-9:-]{0,254}$/, {
  message: 'allowed: an RDS snapshot identifier such as rds:authdb-prod-2026-11-25-18-05',
});

export const recoveryPointArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:rds:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:snapshot:[a-zA-Z][a-zA-Z0-9:-]{0,254}$/, {
    message: 'allowed: the ARN of an RDS recovery point (arn:aws:rds:REGION:ACCOUNT:snapshot:awsbackup:job-...)',
  });

/**
 * What an engineer may pass when starting a drill by hand; `{}` (what the schedule sends) restores the source to
 * the instant its rows were counted.
 */
export const drillInputSchema = z
  .object({
    mode: z
      .enum(['point-in-time', 'latest-snapshot', 'snapshot', 'recovery-point'], {
        message: 'allowed: point-in-time, latest-snapshot, snapshot or recovery-point',
      })
      .default('point-in-time'),
    snapshotIdentifier: snapshotIdentifier.optional(),
    recoveryPointArn: recoveryPointArn.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const needs = { snapshot: 'snapshotIdentifier', 'recovery-point': 'recoveryPointArn' } as const;
    for (const [mode, field] of Object.entries(needs)) {
      if (input.mode === mode && input[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `allowed: required when mode is ${mode}` });
      }
      if (input.mode !== mode && input[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `allowed: only with mode ${mode}` });
      }
    }
  });

export type DrillInput = z.infer<typeof drillInputSchema>;
export type DrillMode = DrillInput['mode'];

/** `$$.Execution` as Step Functions passes it. */
export const executionContextSchema = z.object({
  Id: z.string().regex(/^arn:aws[a-z-]*:states:/),
  Name: z.string().min(1),
  StartTime: z.iso.datetime({ offset: true }),
});
export type ExecutionContext = z.infer<typeof executionContextSchema>;

/**
 * The scratch instance's identifier, derived only from the execution (start minute and a hash of its name), so a
 * retried task finds the instance it already asked for and a second drill never computes the first one's id.
 */
export function scratchInstanceId(startTime: string | Date, executionName: string): string {
  const start = new Date(startTime);
  if (Number.isNaN(start.getTime())) throw new Error(`Invalid execution start time: ${String(startTime)}`);
  const stamp = start.toISOString().slice(0, 16).replace(/[-T:]/g, '');
  const hash = createHash('sha256').update(executionName).digest('hex').slice(0, 8);
  return `${DRILL_PREFIX}${stamp}-${hash}`;
}

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
