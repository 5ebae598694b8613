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
  namespace: READINESS_NAMESPACE,
  metricName: 'DrRegionDrillSucceeded',
  service: 'dr-region-drill',
} as const;

/** The DR-region standby replica (issue 10) whose lag the monitor reads. */
export const standbyInstanceId = (environment: string) => `authdb-${environment}-standby`;

/**
 * What the DR-region drill publishes in the DR region with each success (unit Seconds, same namespace and dimensions
 * as `DR_REGION_DRILL_SUCCESS`): the RTO it measured for the region-lost path. The dashboard's readiness row shows it.
 */
export const DR_REGION_DRILL_RTO = 'DrRegionDrillRtoSeconds';

/** What the rewind report publishes (service=rewind): the bad-write path's RTO and its recovery gap T − R. */
export const REWIND_METRICS = {
  rto: 'RewindRtoSeconds',
  recoveryGap: 'RewindRecoveryGapSeconds',
  succeeded: 'RewindSucceeded',
  failed: 'RewindFailed',
} as const;
