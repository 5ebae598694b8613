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

const HOUR = Duration.hours(1);
const DAY = Duration.days(1);

/**
 * The drill's metrics as the dashboard shows them, labelled. Each drill publishes one data point of each, at most one
 * drill a day: the RTO phases and the outcomes are per day, the figures of the last drill per hour.
 */
export function drillDashboardMetrics(environment: string) {
  const metric = (name: string, label: string, statistic = 'Maximum', period = HOUR) =>
    drillMetric(environment, name, statistic, period).with({ label });
  return {
    // The measured RPO: the source's restore lag behind now, and how old the newest restored row was.
    rpoLag: metric(DRILL_METRICS.rpoLag, 'RPO lag (s)'),
    freshness: metric(DRILL_METRICS.freshness, 'newest restored row age (s)'),
    // The measured RTO: its two phases, which add up to the total.
    restore: metric(DRILL_METRICS.restore, 'restore (requested → available)', 'Maximum', DAY),
    verify: metric(DRILL_METRICS.verify, 'verification (available → verified)', 'Maximum', DAY),
    rto: metric(DRILL_METRICS.rto, 'RTO (requested → verified)', 'Maximum', DAY),
    // The last drill's: the latest data point is the last drill's.
    lastRto: metric(DRILL_METRICS.rto, 'last drill RTO (s)'),
    lastRpoLag: metric(DRILL_METRICS.rpoLag, 'last drill RPO lag (s)'),
    // Outcomes, as the drill report counts them.
    succeeded: metric(DRILL_METRICS.succeeded, 'drills succeeded', 'Sum', DAY),
    failed: metric(DRILL_METRICS.failed, 'drills failed', 'Sum', DAY),
    mismatchedTables: metric(DRILL_METRICS.mismatchedTables, 'tables whose rows did not match', 'Maximum', DAY),
    orphanedInstances: metric(
      DRILL_METRICS.orphanedInstances,
      'scratch instances outliving their drill',
      'Maximum',
      DAY,
    ),
  };
}

/** Restore outcomes per day and the restore's RTO, as the restore report publishes them, labelled. */
export function restoreOutcomeMetrics(environment: string) {
  const metric = (name: string, label: string, statistic: string) =>
    restoreMetric(environment, name, statistic, DAY).with({ label });
  return {
    succeeded: metric(RESTORE_METRICS.succeeded, 'restores succeeded', 'Sum'),
    failed: metric(RESTORE_METRICS.failed, 'restores failed', 'Sum'),
    rto: metric(RESTORE_METRICS.rto, 'restore RTO (s)', 'Maximum'),
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
