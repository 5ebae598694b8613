import type { Endpoint, InstanceStatus, VerifyResult } from './drill.js';
import type { SourceCounts } from './row-counts.js';

/** Settings of the source that the restored instance gets (what the restore API can set at creation). */
export interface SourceSettings {
  instanceClass: string;
  multiAz: boolean;
  subnetGroupName: string;
  securityGroupIds: string[];
  parameterGroupName: string;
  optionGroupName?: string;
  storageType?: string;
  backupRetentionDays: number;
  iamAuth: boolean;
  logExports: string[];
  /** Re-applied after creation: the restore API cannot set them. */
  performanceInsightsKmsKeyId?: string;
  performanceInsightsRetentionDays?: number;
  monitoringIntervalSeconds?: number;
  monitoringRoleArn?: string;
  masterSecretKmsKeyId?: string;
}

/** What validation decided; every later state reads it. Holds no secret. */
export interface RestorePlan {
  environment: string;
  mode: 'point-in-time' | 'snapshot' | 'recovery-point';
  sourceInstanceId: string;
  targetInstanceId: string;
  instanceClass: string;
  /** Point in time: the time to restore to, or undefined for the latest restorable time. */
  restoreTime?: string;
  useLatestRestorableTime: boolean;
  snapshot?: { identifier: string; createdAt: string };
  /** The source is reachable (available) and its rows can be counted for comparison. */
  source: Endpoint | null;
  settings: SourceSettings;
  cutover: boolean;
  /** Identifier the source gets at cutover. */
  preRestoreInstanceId: string;
  executionArn: string;
  executionName: string;
  startedAt: string;
  /** Who started the execution, as STS named the signer of its identity proof (when the input carried one). */
  startedBy?: string;
  /** A second person must approve the cutover (cutover.requireApproval of the environment). */
  approvalRequired?: boolean;
}

export interface RestoreStarted {
  instanceId: string;
  requestedAt: string;
  /** The moment the restored data describes: the restore time, the snapshot's time, or (latest) the request. */
  asOf: string;
  alreadyRequested: boolean;
}

export interface CutoverStep {
  action: string;
  from: string;
  to: string;
  at: string;
  alreadyDone: boolean;
}

export interface RestoreState {
  plan: RestorePlan;
  restore?: RestoreStarted;
  target?: InstanceStatus;
  settings?: { appliedAt: string; replication: { started: boolean; detail: string } };
  sourceCounts?: SourceCounts | null;
  verification?: VerifyResult;
  /** Cutover steps, each `{ action, from, to, at, alreadyDone }`. */
  renameSource?: CutoverStep;
  renameTarget?: CutoverStep;
  rollBack?: CutoverStep;
  /** The second person's approval of the cutover, as CheckApproval established it. */
  approval?: { approvedBy?: string; approvedAt?: string };
  error?: { Error: string; Cause: string };
}
