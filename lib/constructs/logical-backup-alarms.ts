import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { LOGICAL_DUMP_METRICS, LOGICAL_DUMP_NAMESPACE, LOGICAL_DUMP_SERVICE } from '../../contract/logical-dump.js';
import { resourceName } from '../../contract/names.js';

export interface LogicalBackupAlarmsProps {
  readonly environment: string;
  readonly cluster: ecs.ICluster;
  readonly scheduleGroup: scheduler.IScheduleGroup;
  readonly alertTopic: sns.ITopic;
  /** No dump proven restorable for this long raises the freshness alarm. */
  readonly maxAge: Duration;
}

/** A metric the dump task emits (EMF), per environment. */
export function logicalDumpMetric(environment: string, metricName: string, period = Duration.hours(1)) {
  return new cloudwatch.Metric({
    namespace: LOGICAL_DUMP_NAMESPACE,
    metricName,
    dimensionsMap: { Environment: environment, service: LOGICAL_DUMP_SERVICE },
    statistic: 'Sum',
    period,
  });
}

/**
 * Every way a dump can fail reaches the alert topic: the job's own failure metric (dump, upload, checksum, restore,
 * counts), a task that stopped with a non-zero exit code or never started (ECS events), a schedule that could not
 * start it (Scheduler metrics), and no verified dump for `maxAge` (missing data breaches: a dead job alarms too).
 */
export class LogicalBackupAlarms extends Construct {
  readonly alarms: Record<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: LogicalBackupAlarmsProps) {
    super(scope, id);
    const e = props.environment;
    const hours = Math.round(props.maxAge.toHours());
    const schedulerMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Scheduler',
        metricName,
        dimensionsMap: { ScheduleGroup: props.scheduleGroup.scheduleGroupName },
        statistic: 'Sum',
        period: Duration.minutes(5),
      });
    const definitions: Record<
      string,
      Omit<cloudwatch.AlarmProps, 'metric'> & { metric: cloudwatch.Metric | cloudwatch.MathExpression }
    > = {
      NoVerifiedDump: {
        // Hourly sums: the alarm holds when none of the last `hours` hours saw a verified dump.
        metric: logicalDumpMetric(e, LOGICAL_DUMP_METRICS.verified),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: hours,
        datapointsToAlarm: hours,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        alarmDescription: `authdb-dr ${e}: no logical dump proven restorable in the last ${hours} hours`,
      },
      DumpFailed: {
        metric: logicalDumpMetric(e, LOGICAL_DUMP_METRICS.failed, Duration.minutes(5)),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `authdb-dr ${e}: a logical dump failed (dump, upload, checksum, restore or counts); see the task log`,
      },
      ScheduleFailed: {
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(errors, 0) + FILL(dropped, 0)',
          usingMetrics: {
            errors: schedulerMetric('TargetErrorCount'),
            dropped: schedulerMetric('InvocationDroppedCount'),
          },
          label: 'dump schedule could not run the task',
          period: Duration.minutes(5),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `authdb-dr ${e}: EventBridge Scheduler could not start the logical dump task`,
      },
    };
    this.alarms = {};
    for (const [alarmId, { metric, ...props_ }] of Object.entries(definitions)) {
      const alarm = metric.createAlarm(this, alarmId, {
        alarmName: resourceName(e, 'logical-dump', alarmId),
        ...props_,
      });
      alarm.addAlarmAction(new actions.SnsAction(props.alertTopic));
      this.alarms[alarmId] = alarm;
    }

    // A task that exited non-zero, or stopped before its container ran (image pull, network, capacity).
    const stopped = (detail: Record<string, unknown>) => ({
      source: ['aws.ecs'],
      detailType: ['ECS Task State Change'],
      detail: { clusterArn: [props.cluster.clusterArn], lastStatus: ['STOPPED'], ...detail },
    });
    const rules = {
      TaskExitedNonZero: stopped({ containers: { exitCode: [{ 'anything-but': 0 }] } }),
      TaskFailedToStart: stopped({ stopCode: ['TaskFailedToStart'] }),
    };
    for (const [ruleId, eventPattern] of Object.entries(rules)) {
      new events.Rule(this, ruleId, {
        description: `authdb-dr ${e}: logical dump task ${ruleId === 'TaskFailedToStart' ? 'never started' : 'exited non-zero'}`,
        eventPattern,
        targets: [
          new targets.SnsTopic(props.alertTopic, {
            message: events.RuleTargetInput.fromText(
              `authdb-dr ${e}: the logical dump task stopped (${events.EventField.fromPath('$.detail.stopCode')}: ` +
                `${events.EventField.fromPath('$.detail.stoppedReason')}). Task ${events.EventField.fromPath('$.detail.taskArn')}`,
            ),
          }),
        ],
      });
    }
  }
}
