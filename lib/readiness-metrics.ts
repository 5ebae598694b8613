import { DR_REGION_DRILL_METRICS } from './dr-region-drill-metrics.js';
import { replicaIdentifier } from './rewind-input.js';

/**
 * Metrics the readiness monitor publishes (namespace AuthDbDr, dimensions Environment and service=readiness) and its
 * alarms read: one list, imported by both (lib/ may not import lambda/, so it lives here until a contract/ module
 * exists).
 */
export const READINESS_METRICS = {
  primaryRestorableLag: 'PrimaryRestorableLagSeconds',
  drBackupLag: 'DrReplicatedBackupLagSeconds',
  /** AWS/RDS ReplicaLag of the DR-region standby, read in the DR region and republished here. */
  standbyLag: 'StandbyReplicaLagSeconds',
  recoveryPointAge: 'RecoveryPointAgeSeconds',
  lastDrillAge: 'LastSuccessfulDrillAgeSeconds',
  lastDrDrillAge: 'LastSuccessfulDrRegionDrillAgeSeconds',
} as const;

export const READINESS_NAMESPACE = 'AuthDbDr';
export const READINESS_SERVICE = 'readiness';

/**
 * What the DR-region drill publishes in the DR region on each success (value 1, unit Count, namespace AuthDbDr,
 * dimensions Environment=<env> and service=dr-region-drill): the readiness monitor finds its newest datapoint there
 * and publishes the age as `lastDrDrillAge`. A 35-day silence cannot be an alarm on the success metric itself
 * (CloudWatch evaluates at most 7 days), hence the age.
 */
export const DR_REGION_DRILL_SUCCESS = {
  namespace: DR_REGION_DRILL_METRICS.namespace,
  metricName: DR_REGION_DRILL_METRICS.succeeded,
  service: DR_REGION_DRILL_METRICS.service,
} as const;

/** The DR-region standby replica (issue 10) whose lag the monitor reads. */
export const standbyInstanceId = (environment: string) => `authdb-${environment}-standby`;

/**
 * What the DR-region drill publishes in the DR region with each success (unit Seconds, same namespace and dimensions
 * as `DR_REGION_DRILL_SUCCESS`): the RTO it measured for the region-lost path. The dashboard's readiness row shows it.
 */
export const DR_REGION_DRILL_RTO = DR_REGION_DRILL_METRICS.rto;

/** What the rewind report publishes (service=rewind): the bad-write path's RTO and its recovery gap T − R. */
export const REWIND_METRICS = {
  rto: 'RewindRtoSeconds',
  recoveryGap: 'RewindRecoveryGapSeconds',
  succeeded: 'RewindSucceeded',
  failed: 'RewindFailed',
} as const;

/** A daily backup plan: no completed recovery point for longer than this alarms. */
export const RECOVERY_POINT_MAX_AGE_HOURS = 26;

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
    namespace: READINESS_NAMESPACE,
    metricName: READINESS_METRICS[key],
    dimensions: { Environment: env.name, service: READINESS_SERVICE },
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
