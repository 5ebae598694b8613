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
  /** The DR-region drill (report and age): distinct from the primary drill's `dr-drill`. */
  drRegionDrill: 'dr-region-drill',
  failover: 'failover-report',
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
  /** AWS/RDS ReplicaLag of the DR-region standby, read in the DR region and republished here. */
  standbyLag: 'StandbyReplicaLagSeconds',
  recoveryPointAge: 'RecoveryPointAgeSeconds',
  lastDrillAge: 'LastSuccessfulDrillAgeSeconds',
  lastDrDrillAge: 'LastSuccessfulDrRegionDrillAgeSeconds',
} as const;

/** Published by the failover report (in the DR region). */
export const FAILOVER_METRICS = {
  rto: 'FailoverRtoSeconds',
  rpo: 'FailoverRpoSeconds',
  succeeded: 'FailoverSucceeded',
  failed: 'FailoverFailed',
} as const;

/** Published in the DR region by the DR-region drill's report and its age function (service `dr-region-drill`). */
export const DR_REGION_DRILL_METRICS = {
  namespace: METRICS_NAMESPACE,
  service: METRIC_SERVICES.drRegionDrill,
  succeeded: 'DrillSucceeded',
  failed: 'DrillFailed',
  rto: 'RtoSeconds',
  rpoLag: 'RpoLagSeconds',
  /** 1 when the primary region could not be reached and the drill reported totals only. */
  primaryUnreachable: 'PrimaryUnreachable',
  /** Seconds since the last successful DR-region drill (or since the drill exists, when none has succeeded yet). */
  lastSuccessAge: 'LastSuccessfulDrillAgeSeconds',
} as const;

/**
 * What the DR-region drill publishes in the DR region on each success (value 1, unit Count): the readiness monitor
 * finds its newest datapoint there and publishes the age as `lastDrDrillAge`. A 35-day silence cannot be an alarm on
 * the success metric itself (CloudWatch evaluates at most 7 days), hence the age.
 */
export const DR_REGION_DRILL_SUCCESS = {
  namespace: DR_REGION_DRILL_METRICS.namespace,
  metricName: DR_REGION_DRILL_METRICS.succeeded,
  service: DR_REGION_DRILL_METRICS.service,
} as const;

/** The RTO the DR-region drill measured for the region-lost path (Seconds); the dashboard's readiness row shows it. */
export const DR_REGION_DRILL_RTO = DR_REGION_DRILL_METRICS.rto;

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
