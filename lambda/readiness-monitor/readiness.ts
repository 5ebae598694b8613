import type { BackupClient } from '@aws-sdk/client-backup';
import { ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstanceAutomatedBackupsCommand, type RDSClient } from '@aws-sdk/client-rds';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DR_REGION_DRILL_SUCCESS, READINESS_METRICS } from '../../contract/metrics.js';
import { describeInstance } from '../shared/rds-instances.js';
import type { MetricsPort } from '../shared/reporting.js';

export interface ReadinessConfig {
  productionInstanceId: string;
  productionInstanceArn: string;
  drillStateMachineArn: string;
  environment: string;
  /** The DR-region standby replica, when there is one: its ReplicaLag is read in the DR region. */
  standbyInstanceId?: string;
  /** How far back the DR-region drill's success metric is searched; older counts as never. */
  drDrillLookbackDays: number;
}

export interface ReadinessDeps {
  rds: RDSClient;
  /** An RDS client in the DR region: the replicated automated backups are described there. */
  drRds: RDSClient;
  backup: BackupClient;
  sfn: SFNClient;
  /** CloudWatch in the DR region: the standby's ReplicaLag and the DR-region drill's success live there. */
  drCloudWatch: CloudWatchClient;
  metrics: MetricsPort;
  now: () => Date;
}

type Figures = Record<keyof typeof READINESS_METRICS, number | null>;

/**
 * Measures how recoverable the environment is right now and publishes each figure as a metric. A figure that cannot
 * be measured is not published (and logged): its alarm treats missing data as breaching, so a blind spot alarms.
 */
export async function measureReadiness(
  config: ReadinessConfig,
  deps: ReadinessDeps,
): Promise<{ figures: Figures; errors: Record<string, string> }> {
  const now = deps.now().getTime();
  const age = (at: Date | undefined) =>
    at === undefined ? null : Math.max(0, Math.round((now - at.getTime()) / 1000));
  const errors: Record<string, string> = {};
  const measure = async (name: keyof Figures, fn: () => Promise<number | null>) => {
    try {
      return await fn();
    } catch (error) {
      errors[name] = (error as Error).message;
      return null;
    }
  };
  const figures: Figures = {
    standbyLag: null,
    primaryRestorableLag: await measure('primaryRestorableLag', async () => {
      const instance = await describeInstance(deps.rds, config.productionInstanceId);
      return age(instance?.LatestRestorableTime);
    }),
    drBackupLag: await measure('drBackupLag', async () => {
      const out = await deps.drRds.send(
        new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: config.productionInstanceId }),
      );
      const latest = out.DBInstanceAutomatedBackups?.map((b) => b.RestoreWindow?.LatestTime)
        .filter((t): t is Date => t !== undefined)
        .sort((a, b) => b.getTime() - a.getTime())[0];
      return age(latest);
    }),
    recoveryPointAge: await measure('recoveryPointAge', async () => {
      const out = await deps.backup.send(
        new ListRecoveryPointsByResourceCommand({ ResourceArn: config.productionInstanceArn }),
      );
      const newest = out.RecoveryPoints?.filter((p) => p.Status === 'COMPLETED' && p.CreationDate)
        .map((p) => p.CreationDate!)
        .sort((a, b) => b.getTime() - a.getTime())[0];
      return age(newest);
    }),
    lastDrillAge: await measure('lastDrillAge', async () => {
      const out = await deps.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: config.drillStateMachineArn,
          statusFilter: 'SUCCEEDED',
          maxResults: 1,
        }),
      );
      return age(out.executions?.[0]?.stopDate);
    }),
    lastDrDrillAge: await measure('lastDrDrillAge', async () => {
      const newest = await newestDatapoint(deps.drCloudWatch, now, {
        Namespace: DR_REGION_DRILL_SUCCESS.namespace,
        MetricName: DR_REGION_DRILL_SUCCESS.metricName,
        Dimensions: [
          { Name: 'Environment', Value: config.environment },
          { Name: 'service', Value: DR_REGION_DRILL_SUCCESS.service },
        ],
        stat: 'Sum',
        // The drill publishes 0 for a failed run: only an hour with a success counts.
        positiveOnly: true,
        // Hourly points are kept 455 days; the age is then at most an hour too old (the point's start), never younger.
        periodSeconds: 3600,
        lookbackSeconds: config.drDrillLookbackDays * 86_400,
      });
      return newest === undefined ? null : age(newest.at);
    }),
  };
  // Not configured: no figure and no error (its alarm only exists where the standby does).
  figures.standbyLag = config.standbyInstanceId
    ? await measure('standbyLag', async () => {
        const newest = await newestDatapoint(deps.drCloudWatch, now, {
          Namespace: 'AWS/RDS',
          MetricName: 'ReplicaLag',
          Dimensions: [{ Name: 'DBInstanceIdentifier', Value: config.standbyInstanceId! }],
          stat: 'Maximum',
          periodSeconds: 60,
          lookbackSeconds: 300,
        });
        if (newest === undefined) throw new Error(`no ReplicaLag of ${config.standbyInstanceId} in the last 5 minutes`);
        return Math.round(newest.value);
      })
    : null;
  for (const [key, value] of Object.entries(figures) as [keyof Figures, number | null][]) {
    if (value !== null) deps.metrics.addMetric(READINESS_METRICS[key], 'Seconds', value);
  }
  deps.metrics.publishStoredMetrics();
  return { figures, errors };
}

/** The newest datapoint of a metric in a window ending now (GetMetricData returns newest first by default). */
async function newestDatapoint(
  cloudwatch: CloudWatchClient,
  now: number,
  q: {
    Namespace: string;
    MetricName: string;
    Dimensions: { Name: string; Value: string }[];
    stat: string;
    periodSeconds: number;
    lookbackSeconds: number;
    positiveOnly?: boolean;
  },
): Promise<{ at: Date; value: number } | undefined> {
  const out = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now - q.lookbackSeconds * 1000),
      EndTime: new Date(now),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'm',
          MetricStat: {
            Metric: { Namespace: q.Namespace, MetricName: q.MetricName, Dimensions: q.Dimensions },
            Period: q.periodSeconds,
            Stat: q.stat,
          },
        },
      ],
    }),
  );
  const result = out.MetricDataResults?.[0];
  const points = (result?.Timestamps ?? [])
    .map((at, i) => ({ at, value: result?.Values?.[i] }))
    .filter((p): p is { at: Date; value: number } => typeof p.value === 'number')
    .filter((p) => !q.positiveOnly || p.value > 0)
    .sort((a, b) => b.at.getTime() - a.at.getTime());
  return points[0];
}
