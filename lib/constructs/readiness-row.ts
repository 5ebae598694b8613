import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import {
  DR_REGION_DRILL_RTO,
  DR_REGION_DRILL_SUCCESS,
  METRIC_SERVICES,
  METRICS_NAMESPACE,
  READINESS_METRICS,
  REWIND_METRICS,
} from '../../contract/metrics.js';
import { drillMetric, restoreMetric } from './recovery-metrics.js';

export interface ReadinessRowProps {
  readonly environment: string;
  readonly drRegion: string;
  /** How often the readiness monitor measures: the period of its figures. */
  readonly schedule: Duration;
  readonly rtoTarget: Duration;
  readonly rpoObjective: Duration;
  /** Where the newest recovery point's age alarms (it is a daily copy, not a 5-minute figure). */
  readonly recoveryPointMaxAge: Duration;
  /**
   * The DR-region standby is measured.
   * @default false
   */
  readonly standby?: boolean;
}

/**
 * One graph per failure class (DESIGN.md, "Failure classes"): on the left the RPO figure of that path now, on the
 * right the RTO last measured for that path, each against its target. The figures come from the readiness monitor,
 * the drills, the restore and the rewind; this function only lays them out.
 */
export function readinessRow(props: ReadinessRowProps): cloudwatch.IWidget[] {
  const readiness = (metricName: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { Environment: props.environment, service: METRIC_SERVICES.readiness },
      statistic: 'Maximum',
      period: props.schedule,
      label,
    });
  const day = Duration.days(1);
  const rpoTarget: cloudwatch.HorizontalAnnotation = {
    value: props.rpoObjective.toSeconds(),
    label: `RPO target ${props.rpoObjective.toMinutes()} min`,
  };
  const rtoTarget: cloudwatch.HorizontalAnnotation = {
    value: props.rtoTarget.toSeconds(),
    label: `RTO target ${props.rtoTarget.toMinutes()} min`,
    color: cloudwatch.Color.RED,
  };
  const graph = (
    title: string,
    rpo: cloudwatch.IMetric[],
    rto: cloudwatch.IMetric[],
    extra: cloudwatch.HorizontalAnnotation[] = [],
  ) =>
    new cloudwatch.GraphWidget({
      title,
      width: 6,
      height: 6,
      left: rpo,
      right: rto,
      leftAnnotations: [rpoTarget, ...extra],
      rightAnnotations: [rtoTarget],
      leftYAxis: { min: 0, label: 'RPO (s)', showUnits: false },
      rightYAxis: { min: 0, label: 'RTO (s)', showUnits: false },
    });

  const drRegionDrillRto = new cloudwatch.Metric({
    namespace: DR_REGION_DRILL_SUCCESS.namespace,
    metricName: DR_REGION_DRILL_RTO,
    dimensionsMap: { Environment: props.environment, service: DR_REGION_DRILL_SUCCESS.service },
    statistic: 'Maximum',
    period: day,
    region: props.drRegion,
    label: `DR-region drill RTO (${props.drRegion})`,
  });
  const rewind = (metricName: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      dimensionsMap: { Environment: props.environment, service: 'rewind' },
      statistic: 'Maximum',
      period: day,
      label,
    });

  return [
    graph(
      'Instance or AZ lost (Multi-AZ failover; PITR fallback)',
      [readiness(READINESS_METRICS.primaryRestorableLag, 'primary restorable-time lag')],
      [drillMetric(props.environment, 'RtoSeconds', 'Maximum', day).with({ label: 'PITR drill RTO' })],
    ),
    graph(
      'Region lost (promote the standby; PITR in the DR region)',
      [
        ...(props.standby ? [readiness(READINESS_METRICS.standbyLag, 'standby replica lag')] : []),
        readiness(READINESS_METRICS.drBackupLag, 'replicated-backup lag'),
      ],
      [drRegionDrillRto],
    ),
    graph(
      'Bad write (rewind the delayed replica)',
      [rewind(REWIND_METRICS.recoveryGap, 'last rewind: T − R')],
      [rewind(REWIND_METRICS.rto, 'last rewind RTO')],
    ),
    graph(
      'Backups tampered with (restore a locked copy)',
      [readiness(READINESS_METRICS.recoveryPointAge, 'newest locked recovery point age')],
      [restoreMetric(props.environment, 'RestoreRtoSeconds', 'Maximum', day).with({ label: 'last restore RTO' })],
      [
        {
          value: props.recoveryPointMaxAge.toSeconds(),
          label: `recovery point alarm ${props.recoveryPointMaxAge.toHours()} h`,
          color: cloudwatch.Color.ORANGE,
        },
      ],
    ),
  ];
}
