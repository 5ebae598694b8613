/**
 * Every metric this project publishes, in one place: the Lambdas emit them (Powertools EMF: namespace, the
 * `service` dimension from the logger's service name, and the `Environment` default dimension) and the alarms and
 * dashboards read them. A name typed twice drifts silently (missing data does not breach), so both sides import
 * these constants; test/contract/metrics-contract.test.ts proves every metric read is emitted.
 */

/** CloudWatch namespace of every metric this project publishes. */
export const METRICS_NAMESPACE = 'AuthDbDr';

/** Dimension names Powertools writes: `service` (its serviceName) and our default `Environment`. */
export const METRIC_DIMENSIONS = { environment: 'Environment', service: 'service' } as const;

/** The `service` dimension of each metric publisher. */
export const METRIC_SERVICES = {
  drill: 'dr-drill',
  restore: 'restore',
  rewind: 'rewind',
  readiness: 'readiness',
  logicalDump: 'logical-dump',
} as const;
export type MetricService = (typeof METRIC_SERVICES)[keyof typeof METRIC_SERVICES];

/** Published by the drill report (one data point per drill) and the drill sweeper (OrphanedDrillInstances). */
export const DRILL_METRICS = {
  succeeded: 'DrillSucceeded',
  failed: 'DrillFailed',
  rpoLag: 'RpoLagSeconds',
  mismatchedTables: 'MismatchedTables',
  rto: 'RtoSeconds',
  restore: 'RestoreSeconds',
  verify: 'VerifySeconds',
  freshness: 'FreshnessSeconds',
  orphanedInstances: 'OrphanedDrillInstances',
} as const;

/** Published by the restore report. */
export const RESTORE_METRICS = {
  succeeded: 'RestoreSucceeded',
  failed: 'RestoreFailed',
  rto: 'RestoreRtoSeconds',
} as const;

/** Published by the rewind report. */
export const REWIND_METRICS = {
  rto: 'RewindRtoSeconds',
  recoveryGap: 'RewindRecoveryGapSeconds',
  succeeded: 'RewindSucceeded',
  failed: 'RewindFailed',
} as const;

/** Published by the readiness monitor every minute. */
export const READINESS_METRICS = {
  primaryRestorableLag: 'PrimaryRestorableLagSeconds',
  drBackupLag: 'DrReplicatedBackupLagSeconds',
  recoveryPointAge: 'RecoveryPointAgeSeconds',
  lastDrillAge: 'LastSuccessfulDrillAgeSeconds',
} as const;

/** Published by the logical dump job (a Fargate task, same Powertools EMF). */
export const LOGICAL_DUMP_METRICS = {
  /** 1 per dump proven restorable; the freshness alarm wants one every 26 hours. */
  verified: 'LogicalDumpVerified',
  /** 1 per job that failed at any step. */
  failed: 'LogicalDumpFailed',
  bytes: 'LogicalDumpBytes',
  durationSeconds: 'LogicalDumpDurationSeconds',
} as const;

/** The dimensions of a metric `service` publishes in `environment`. */
export function metricDimensions(environment: string, service: MetricService): Record<string, string> {
  return { [METRIC_DIMENSIONS.environment]: environment, [METRIC_DIMENSIONS.service]: service };
}
