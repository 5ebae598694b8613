import { METRIC_SERVICES, METRICS_NAMESPACE, metricDimensions, READINESS_METRICS } from './metrics.js';
import { replicaIdentifier } from './rewind-input.js';

/** A daily backup plan: no completed recovery point for longer than this alarms. */
export const RECOVERY_POINT_MAX_AGE_HOURS = 26;

/** The DR-region standby replica (issue 10) whose lag the monitor reads. */
export const standbyInstanceId = (environment: string) => `authdb-${environment}-standby`;

/** What the readiness figures of an environment depend on (a part of its configuration). */
export interface ReadinessSettings {
  name: string;
  targets: { rpoMinutes: number };
  delayedReplica: { enabled: boolean; applyDelayMinutes: number; generation: number };
  readiness: { drillMaxAgeDays: number; drDrillMaxAgeDays: number; drStandby: boolean };
}

/** One readiness figure as CloudWatch holds it, and the value above which it breaks its objective. */
export interface ReadinessFigure {
  key: string;
  label: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  thresholdSeconds: number;
}

/**
 * Every figure the readiness alarms watch for an environment, with the same thresholds (the CLI's readiness table
 * prints them; a test compares them with the synthesized alarms).
 */
export function readinessFigures(env: ReadinessSettings): ReadinessFigure[] {
  const rpo = env.targets.rpoMinutes * 60;
  const day = 86_400;
  const own = (key: keyof typeof READINESS_METRICS, label: string, thresholdSeconds: number): ReadinessFigure => ({
    key,
    label,
    namespace: METRICS_NAMESPACE,
    metricName: READINESS_METRICS[key],
    dimensions: metricDimensions(env.name, METRIC_SERVICES.readiness),
    thresholdSeconds,
  });
  return [
    own('primaryRestorableLag', 'primary restorable-time lag (RPO)', rpo),
    own('drBackupLag', 'DR-region replicated-backup lag (RPO)', rpo),
    ...(env.readiness.drStandby ? [own('standbyLag', 'DR-region standby replica lag (RPO)', rpo)] : []),
    ...(env.delayedReplica.enabled
      ? [
          {
            key: 'delayedReplicaLag',
            label: 'delayed replica lag (its delay + RPO)',
            namespace: 'AWS/RDS',
            metricName: 'ReplicaLag',
            dimensions: { DBInstanceIdentifier: replicaIdentifier(env.name, env.delayedReplica.generation) },
            thresholdSeconds: env.delayedReplica.applyDelayMinutes * 60 + rpo,
          },
        ]
      : []),
    own('recoveryPointAge', 'newest AWS Backup recovery point age', RECOVERY_POINT_MAX_AGE_HOURS * 3600),
    own('lastDrillAge', 'last successful drill age', env.readiness.drillMaxAgeDays * day),
    own('lastDrDrillAge', 'last successful DR-region drill age', env.readiness.drDrillMaxAgeDays * day),
  ];
}
