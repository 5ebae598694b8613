/**
 * The DR-region drill's metric names, imported by its Lambdas (which emit them) and its alarms (which read them):
 * namespace AuthDbDr, dimensions Environment and service. (lib/ may not import lambda/, so it lives here until a
 * contract/ module exists.)
 */
export const DR_REGION_DRILL_METRICS = {
  namespace: 'AuthDbDr',
  /** Powertools' service dimension: distinct from the primary drill's `dr-drill`. */
  service: 'dr-region-drill',
  succeeded: 'DrillSucceeded',
  failed: 'DrillFailed',
  rto: 'RtoSeconds',
  rpoLag: 'RpoLagSeconds',
  /** 1 when the primary region could not be reached and the drill reported totals only. */
  primaryUnreachable: 'PrimaryUnreachable',
  /** Seconds since the last successful DR-region drill (or since the drill exists, when none has succeeded yet). */
  lastSuccessAge: 'LastSuccessfulDrillAgeSeconds',
} as const;
