import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DRILL_METRICS, METRIC_SERVICES, METRICS_NAMESPACE, metricDimensions } from '../../contract/metrics.js';
import { resourceName } from '../../contract/names.js';

export interface DrillAlarmsProps {
  readonly environment: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly alertTopic: sns.ITopic;
  readonly rtoTarget: Duration;
  /** The RPO target plus a margin: RDS's 5-minute log shipping alone keeps the lag near the target. */
  readonly rpoAlarmThreshold: Duration;
}

/** A metric the drill (report and sweeper Lambdas) publishes, per environment. */
export function drillMetric(
  environment: string,
  metricName: string,
  statistic = 'Maximum',
  period = Duration.hours(1),
) {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: metricDimensions(environment, METRIC_SERVICES.drill),
    statistic,
    period,
  });
}

/** Executions of `sm` that failed, timed out or were aborted, per 5 minutes (missing data counts as none). */
export function unsuccessfulExecutions(sm: sfn.IStateMachine, label: string): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
    usingMetrics: {
      failed: sm.metricFailed({ statistic: 'Sum', period: Duration.minutes(5) }),
      timedOut: sm.metricTimedOut({ statistic: 'Sum', period: Duration.minutes(5) }),
      aborted: sm.metricAborted({ statistic: 'Sum', period: Duration.minutes(5) }),
    },
    label,
    period: Duration.minutes(5),
  });
}

/**
 * Alarms on the drill, to the alert topic: an execution that failed, timed out or was aborted; RTO above the target;
 * RPO lag above the target plus margin; rows that did not match; an abandoned scratch instance.
 */
export class DrillAlarms extends Construct {
  readonly alarms: Record<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: DrillAlarmsProps) {
    super(scope, id);
    const e = props.environment;
    const sm = props.stateMachine;
    const ended = unsuccessfulExecutions(sm, 'drill executions failed, timed out or aborted');
    const definitions: Record<string, { metric: cloudwatch.IMetric; threshold: number; description: string }> = {
      ExecutionFailed: {
        metric: ended,
        threshold: 1,
        description: `authdb-dr ${e}: a DR drill failed, timed out or was aborted; see its report and execution`,
      },
      RtoAboveTarget: {
        metric: drillMetric(e, DRILL_METRICS.rto),
        threshold: props.rtoTarget.toSeconds() + 1,
        description: `authdb-dr ${e}: the last drill's RTO (restore requested to verified) exceeded ${props.rtoTarget.toMinutes()} minutes`,
      },
      RpoAboveTarget: {
        metric: drillMetric(e, DRILL_METRICS.rpoLag),
        threshold: props.rpoAlarmThreshold.toSeconds() + 1,
        description: `authdb-dr ${e}: the source's restorable time lagged more than ${props.rpoAlarmThreshold.toMinutes()} minutes`,
      },
      VerificationMismatch: {
        metric: drillMetric(e, DRILL_METRICS.mismatchedTables),
        threshold: 1,
        description: `authdb-dr ${e}: restored rows did not match the source; the drill report names the tables`,
      },
      AbandonedScratchInstance: {
        metric: drillMetric(e, DRILL_METRICS.orphanedInstances),
        threshold: 1,
        description: `authdb-dr ${e}: a drill scratch instance outlived its drill (the sweeper is deleting it)`,
      },
    };
    this.alarms = {};
    for (const [name, d] of Object.entries(definitions)) {
      const alarm = new cloudwatch.Alarm(this, name, {
        alarmName: resourceName(e, 'drill', name),
        alarmDescription: d.description,
        metric: d.metric,
        threshold: d.threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.alertTopic));
      this.alarms[name] = alarm;
    }
  }
}
