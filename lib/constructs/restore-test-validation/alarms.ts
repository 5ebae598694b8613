import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { occurrenceAlarm } from '../workflow-parts/alarms.js';
import type { RestoreTestValidationProps } from './props.js';

/**
 * A restore test left without validation: an execution that failed, timed out or was stopped before recording,
 * or an event that never started one.
 */
export function validationAlarms(
  scope: Construct,
  props: RestoreTestValidationProps,
  stateMachine: sfn.StateMachine,
  rule: events.Rule,
): cloudwatch.Alarm[] {
  const unvalidated = new cloudwatch.MathExpression({
    expression: 'failed + timedOut + aborted',
    usingMetrics: {
      failed: stateMachine.metricFailed({ period: Duration.minutes(5) }),
      timedOut: stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
      aborted: stateMachine.metricAborted({ period: Duration.minutes(5) }),
    },
    label: 'restore tests left without validation',
  });
  const notStarted = new cloudwatch.Metric({
    namespace: 'AWS/Events',
    metricName: 'FailedInvocations',
    dimensionsMap: { RuleName: rule.ruleName },
    statistic: 'Sum',
    period: Duration.minutes(5),
  });
  const alarm = (id: string, description: string, metric: cloudwatch.IMetric) =>
    occurrenceAlarm(scope, id, {
      alarmDescription: `authdb-dr ${props.environment}: ${description}`,
      metric,
      topic: props.alertTopic,
    });
  return [
    alarm('UnvalidatedAlarm', 'a restore test validation ended without a result', unvalidated),
    alarm('NotStartedAlarm', 'a completed restore test did not start its validation', notStarted),
  ];
}
