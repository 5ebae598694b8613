import type { BackupClient } from '@aws-sdk/client-backup';
import { ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { DescribeDBInstanceAutomatedBackupsCommand, type RDSClient } from '@aws-sdk/client-rds';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { READINESS_METRICS } from '../../contract/metrics.js';
import { describeInstance } from '../shared/rds-instances.js';
import type { MetricsPort } from '../shared/reporting.js';

export interface ReadinessConfig {
  productionInstanceId: string;
  productionInstanceArn: string;
  drillStateMachineArn: string;
}

export interface ReadinessDeps {
  rds: RDSClient;
  /** An RDS client in the DR region: the replicated automated backups are described there. */
  drRds: RDSClient;
  backup: BackupClient;
  sfn: SFNClient;
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
  };
  for (const [key, value] of Object.entries(figures) as [keyof Figures, number | null][]) {
    if (value !== null) deps.metrics.addMetric(READINESS_METRICS[key], 'Seconds', value);
  }
  deps.metrics.publishStoredMetrics();
  return { figures, errors };
}
