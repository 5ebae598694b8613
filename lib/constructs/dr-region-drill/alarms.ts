import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DR_REGION_DRILL_METRICS as M } from '../../../contract/metrics.js';
import { resourceName } from '../../../contract/names.js';
import { unsuccessfulExecutions } from '../drill-alarms.js';
import { occurrenceAlarm } from '../workflow-parts/alarms.js';
import type { DrRegionDrillProps } from './props.js';

export interface DrRegionDrillAlarms {
  readonly failed: cloudwatch.Alarm;
  readonly noRecentSuccess: cloudwatch.Alarm;
}

/** An unsuccessful execution, and no success within the readiness limit (or no age published), to the topic. */
export function drRegionDrillAlarms(
  scope: Construct,
  props: DrRegionDrillProps,
  stateMachine: sfn.IStateMachine,
): DrRegionDrillAlarms {
  const env = props.config.name;
  const maxAgeDays = props.config.readiness.drDrillMaxAgeDays;
  const failed = occurrenceAlarm(scope, 'DrillFailedAlarm', {
    alarmName: resourceName(env, 'dr-region-drill', 'ExecutionFailed'),
    alarmDescription: `authdb-dr ${env}: a DR-region drill failed, timed out or was aborted; see its report and execution`,
    metric: unsuccessfulExecutions(stateMachine, 'DR-region drill executions failed, timed out or aborted'),
    topic: props.alertTopic,
  });
  const noRecentSuccess = new cloudwatch.Alarm(scope, 'NoRecentSuccessAlarm', {
    alarmName: resourceName(env, 'dr-region-drill', 'NoRecentSuccess'),
    alarmDescription:
      `authdb-dr ${env}: no DR-region drill has succeeded in ${maxAgeDays} days (or its age is no longer published: ` +
      'the age function is broken)',
    metric: new cloudwatch.Metric({
      namespace: M.namespace,
      metricName: M.lastSuccessAge,
      dimensionsMap: { Environment: env, service: M.service },
      statistic: 'Minimum',
      period: Duration.days(1),
    }),
    threshold: maxAgeDays * 86_400,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    // The age is published every few hours: a day without it means the monitor itself is broken.
    treatMissingData: cloudwatch.TreatMissingData.BREACHING,
  });
  noRecentSuccess.addAlarmAction(new actions.SnsAction(props.alertTopic));
  return { failed, noRecentSuccess };
}
