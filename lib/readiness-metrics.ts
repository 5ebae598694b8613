/**
 * Metrics the readiness monitor publishes (namespace AuthDbDr, dimension Environment) and its alarms read: one list,
 * imported by both (lib/ may not import lambda/, so it lives here until a contract/ module exists).
 */
export const READINESS_METRICS = {
  primaryRestorableLag: 'PrimaryRestorableLagSeconds',
  drBackupLag: 'DrReplicatedBackupLagSeconds',
  recoveryPointAge: 'RecoveryPointAgeSeconds',
  lastDrillAge: 'LastSuccessfulDrillAgeSeconds',
} as const;
