import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  DRILL_METRICS,
  METRIC_SERVICES,
  METRICS_NAMESPACE,
  metricDimensions,
  RESTORE_METRICS,
} from '../../contract/metrics.js';
import { drillMetric } from './drill-alarms.js';

export { drillMetric };

/** Namespace of the metrics AWS Backup publishes. */
export const AWS_BACKUP_NAMESPACE = 'AWS/Backup';
/** AWS Backup's resource type of an RDS DB instance (as `GetSupportedResourceTypes` names it). */
export const RDS_BACKUP_RESOURCE_TYPE = 'RDS';

/** A metric the restore workflow (its report Lambda) publishes, per environment. */
export function restoreMetric(
  environment: string,
  metricName: string,
  statistic = 'Maximum',
  period = Duration.hours(1),
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: metricDimensions(environment, METRIC_SERVICES.restore),
    statistic,
    period,
  });
}

/** The drill's measured RPO: the source's restore lag behind now, and how old the newest restored row was. */
export function drillRpoMetrics(environment: string) {
  return {
    lag: drillMetric(environment, DRILL_METRICS.rpoLag).with({ label: 'RPO lag (s)' }),
    freshness: drillMetric(environment, DRILL_METRICS.freshness).with({ label: 'newest restored row age (s)' }),
  };
}

/** The drill's measured RTO: its two phases, which add up to the total. At most one drill a day. */
export function drillRtoMetrics(environment: string) {
  const day = Duration.days(1);
  return {
    restore: drillMetric(environment, DRILL_METRICS.restore, 'Maximum', day).with({
      label: 'restore (requested → available)',
    }),
    verify: drillMetric(environment, DRILL_METRICS.verify, 'Maximum', day).with({
      label: 'verification (available → verified)',
    }),
    total: drillMetric(environment, DRILL_METRICS.rto, 'Maximum', day).with({ label: 'RTO (requested → verified)' }),
  };
}

/** What the last drill measured: each drill publishes one data point, so the latest is the last drill's. */
export function lastDrillMetrics(environment: string) {
  return {
    rto: drillMetric(environment, DRILL_METRICS.rto).with({ label: 'last drill RTO (s)' }),
    rpoLag: drillMetric(environment, DRILL_METRICS.rpoLag).with({ label: 'last drill RPO lag (s)' }),
  };
}

/** Drill outcomes per day, as the drill report counts them. */
export function drillOutcomeMetrics(environment: string) {
  const day = Duration.days(1);
  return {
    succeeded: drillMetric(environment, DRILL_METRICS.succeeded, 'Sum', day).with({ label: 'drills succeeded' }),
    failed: drillMetric(environment, DRILL_METRICS.failed, 'Sum', day).with({ label: 'drills failed' }),
    mismatchedTables: drillMetric(environment, DRILL_METRICS.mismatchedTables, 'Maximum', day).with({
      label: 'tables whose rows did not match',
    }),
    orphanedInstances: drillMetric(environment, DRILL_METRICS.orphanedInstances, 'Maximum', day).with({
      label: 'scratch instances outliving their drill',
    }),
  };
}

/** Restore outcomes per day and the restore's RTO, as the restore report publishes them. */
export function restoreOutcomeMetrics(environment: string) {
  const day = Duration.days(1);
  return {
    succeeded: restoreMetric(environment, RESTORE_METRICS.succeeded, 'Sum', day).with({ label: 'restores succeeded' }),
    failed: restoreMetric(environment, RESTORE_METRICS.failed, 'Sum', day).with({ label: 'restores failed' }),
    rto: restoreMetric(environment, RESTORE_METRICS.rto, 'Maximum', day).with({ label: 'restore RTO (s)' }),
  };
}

/**
 * Executions of a state machine that did not succeed, summed per `period`. The reports above cannot count an
 * execution that ended before its report step; these can.
 */
export function unsuccessfulExecutionMetrics(stateMachine: sfn.IStateMachine, period = Duration.days(1)) {
  return {
    failed: stateMachine.metricFailed({ statistic: 'Sum', period, label: 'executions failed' }),
    timedOut: stateMachine.metricTimedOut({ statistic: 'Sum', period, label: 'executions timed out' }),
    aborted: stateMachine.metricAborted({ statistic: 'Sum', period, label: 'executions aborted' }),
  };
}

/**
 * AWS Backup's failed and aborted jobs for RDS resources, summed per `period`. AWS Backup publishes these in the
 * `AWS/Backup` namespace with a `ResourceType` dimension; filtering on it keeps other resource types in the account
 * out. Restore jobs are those of the restore testing plan (the drill restores through the RDS API, not AWS Backup).
 */
export function backupJobMetrics(period = Duration.days(1)) {
  const job = (metricName: string, label: string) =>
    new cloudwatch.Metric({
      namespace: AWS_BACKUP_NAMESPACE,
      metricName,
      dimensionsMap: { ResourceType: RDS_BACKUP_RESOURCE_TYPE },
      statistic: 'Sum',
      period,
      label,
    });
  return {
    backupFailed: job('NumberOfBackupJobsFailed', 'backup jobs failed'),
    backupAborted: job('NumberOfBackupJobsAborted', 'backup jobs aborted'),
    copyFailed: job('NumberOfCopyJobsFailed', 'copy jobs (to the DR region) failed'),
    restoreFailed: job('NumberOfRestoreJobsFailed', 'restore jobs failed'),
  };
}

/**
 * The source instance's health, as far as it bears on recovery. Not included: `ReplicaLag` (RDS publishes it only
 * for read replicas; a Multi-AZ DB instance replicates synchronously below the engine and has none) and
 * `OldestReplicationSlotLag` (the database has no replication slots: no read replica, no logical replication).
 */
export function databaseMetrics(instance: rds.IDatabaseInstance) {
  const hour = Duration.hours(1);
  return {
    freeStorage: instance.metricFreeStorageSpace({ statistic: 'Minimum', period: hour, label: 'free storage (bytes)' }),
    cpu: instance.metricCPUUtilization({ statistic: 'Maximum', period: hour, label: 'CPU (%)' }),
    connections: instance.metricDatabaseConnections({ statistic: 'Maximum', period: hour, label: 'connections' }),
    // WAL kept on the instance's disk: it grows when archiving to S3 (what point-in-time restore reads) falls behind.
    transactionLogs: instance.metric('TransactionLogsDiskUsage', {
      statistic: 'Maximum',
      period: hour,
      label: 'transaction logs on disk (bytes)',
    }),
  };
}
