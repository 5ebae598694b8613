import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRIC_SERVICES, METRICS_NAMESPACE, metricDimensions, READINESS_METRICS } from '../../contract/metrics.js';
import { resourceName } from '../../contract/names.js';
import { RECOVERY_POINT_MAX_AGE_HOURS } from '../../contract/readiness.js';
import type { AuthDatabase } from './auth-database.js';
import type { DelayedReplica } from './delayed-replica.js';
import { functionEnvironment } from './function-environment.js';
import { LambdaFunction } from './lambda-function.js';
import { acknowledgeWildcard } from './nag.js';

/** A daily backup plan: no completed recovery point for longer than this alarms. */
export const RECOVERY_POINT_MAX_AGE = Duration.hours(RECOVERY_POINT_MAX_AGE_HOURS);

export interface ReadinessMonitorProps {
  readonly environment: string;
  readonly database: AuthDatabase;
  readonly drRegion: string;
  readonly drillStateMachine: sfn.IStateMachine;
  readonly delayedReplica?: DelayedReplica;
  /** Its lag is the apply delay by design; it alarms above delay + RPO objective. */
  readonly applyDelay?: Duration;
  /**
   * The DR-region standby replica: its ReplicaLag (AWS/RDS, in the DR region) is read by the function and republished
   * here, since an alarm can only read metrics of its own region.
   * @default - no standby lag figure and no alarm on it
   */
  readonly standbyInstanceId?: string;
  readonly schedule: Duration;
  /** Consecutive periods above the objective before an RPO alarm. */
  readonly breachPeriods: number;
  readonly rpoObjective: Duration;
  readonly drillMaxAge: Duration;
  /** No successful DR-region drill (its success metric, in the DR region) for longer than this alarms. */
  readonly drDrillMaxAge: Duration;
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Measures recovery readiness on a schedule (restorable-time lag of the primary and of the backups replicated to the
 * DR region, age of the newest recovery point and of the last successful drill) and alarms when a figure breaks its
 * objective. Missing data is breaching everywhere: a monitor that stops measuring alarms too. Read-only.
 */
export class ReadinessMonitor extends Construct {
  readonly function: LambdaFunction;
  readonly alarms: Record<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: ReadinessMonitorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.function = new LambdaFunction(this, 'Function', {
      entry: 'readiness-monitor',
      description: `authdb-dr ${props.environment}: recovery-readiness monitor (read-only)`,
      logKey: props.key,
      logRetention: props.logRetention,
      invokedBy: 'eventbridge',
      deadLetterQueue: deadLetters,
      reservedConcurrentExecutions: 1,
      environment: functionEnvironment('readiness-monitor', {
        ENVIRONMENT: props.environment,
        PRODUCTION_INSTANCE_ID: props.database.instanceIdentifier,
        PRODUCTION_INSTANCE_ARN: props.database.instance.instanceArn,
        DRILL_STATE_MACHINE_ARN: props.drillStateMachine.stateMachineArn,
        DR_REGION: props.drRegion,
        // Twice the alarm's age: an older success still gives an age (above the threshold) rather than none.
        DR_DRILL_LOOKBACK_DAYS: props.drDrillMaxAge.toDays() * 2,
        STANDBY_INSTANCE_ID: props.standbyInstanceId,
      }),
    });
    const role = this.function.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadProductionRestorableTime',
        actions: ['rds:DescribeDBInstances'],
        resources: [props.database.instance.instanceArn],
      }),
    );
    const drAutoBackups = stack.formatArn({
      service: 'rds',
      region: props.drRegion,
      resource: 'auto-backup',
      resourceName: '*',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadReplicatedBackupsInTheDrRegion',
        actions: ['rds:DescribeDBInstanceAutomatedBackups'],
        resources: [
          drAutoBackups,
          stack.formatArn({
            service: 'rds',
            region: props.drRegion,
            resource: 'db',
            resourceName: props.database.instanceIdentifier,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListRecoveryPointsOfTheDatabase',
        actions: ['backup:ListRecoveryPointsByResource'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListDrillExecutions',
        actions: ['states:ListExecutions'],
        resources: [props.drillStateMachine.stateMachineArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadStandbyLagAndDrRegionDrillMetrics',
        actions: ['cloudwatch:GetMetricData'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcard(
      role,
      'Resource::*',
      'backup:ListRecoveryPointsByResource and cloudwatch:GetMetricData support no resource-level permission; ' +
        'they read recovery point metadata and metric values only.',
    );
    acknowledgeWildcard(
      role,
      `Resource::arn:aws:rds:${props.drRegion}:${stack.account}:auto-backup:*`,
      'Replicated automated backups get generated ids (ab-…) in the DR region; describing them reads metadata only.',
    );
    new events.Rule(this, 'Schedule', {
      description: `authdb-dr ${props.environment}: measure recovery readiness`,
      schedule: events.Schedule.rate(props.schedule),
      targets: [
        new eventsTargets.LambdaFunction(this.function.function, { deadLetterQueue: deadLetters, retryAttempts: 0 }),
      ],
    });

    const metric = (metricName: string, statistic = 'Maximum') =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: metricDimensions(props.environment, METRIC_SERVICES.readiness),
        statistic,
        period: props.schedule,
      });
    const rpo = props.rpoObjective.toSeconds();
    const definitions: Record<
      string,
      { metric: cloudwatch.IMetric; threshold: number; periods: number; description: string }
    > = {
      primaryRestorableLag: {
        metric: metric(READINESS_METRICS.primaryRestorableLag),
        threshold: rpo,
        periods: props.breachPeriods,
        description: `the primary's restorable time lags more than ${props.rpoObjective.toMinutes()} minutes (RPO), or the monitor is not measuring`,
      },
      drBackupLag: {
        metric: metric(READINESS_METRICS.drBackupLag),
        threshold: rpo,
        periods: props.breachPeriods,
        description: `the automated backups replicated to ${props.drRegion} lag more than ${props.rpoObjective.toMinutes()} minutes, or the monitor is not measuring`,
      },
      recoveryPointAge: {
        metric: metric(READINESS_METRICS.recoveryPointAge),
        threshold: RECOVERY_POINT_MAX_AGE.toSeconds(),
        periods: props.breachPeriods,
        description:
          'no completed AWS Backup recovery point of the database in 26 hours, or the monitor is not measuring',
      },
      drillAge: {
        metric: metric(READINESS_METRICS.lastDrillAge),
        threshold: props.drillMaxAge.toSeconds(),
        periods: props.breachPeriods,
        description: `no successful DR drill in ${props.drillMaxAge.toDays()} days, or the monitor is not measuring`,
      },
      drDrillAge: {
        metric: metric(READINESS_METRICS.lastDrDrillAge),
        threshold: props.drDrillMaxAge.toSeconds(),
        periods: props.breachPeriods,
        description: `no successful DR-region drill in ${props.drDrillMaxAge.toDays()} days (${props.drRegion}), or the monitor is not measuring`,
      },
    };
    if (props.standbyInstanceId) {
      definitions.standbyLag = {
        metric: metric(READINESS_METRICS.standbyLag),
        threshold: rpo,
        periods: props.breachPeriods,
        description: `the standby ${props.standbyInstanceId} in ${props.drRegion} lags more than ${props.rpoObjective.toMinutes()} minutes, or the monitor is not measuring`,
      };
    }
    if (props.delayedReplica && props.applyDelay) {
      definitions.delayedReplicaLag = {
        metric: new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName: 'ReplicaLag',
          dimensionsMap: { DBInstanceIdentifier: props.delayedReplica.instanceIdentifier },
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: props.applyDelay.toSeconds() + rpo,
        periods: props.breachPeriods,
        description: `the delayed replica lags more than its delay plus ${props.rpoObjective.toMinutes()} minutes (it would not hold the last hour), or it is gone`,
      };
    }
    this.alarms = {};
    for (const [name, d] of Object.entries(definitions)) {
      const alarm = new cloudwatch.Alarm(this, `Alarm-${name}`, {
        alarmName: resourceName(props.environment, 'readiness', name),
        alarmDescription: `authdb-dr ${props.environment}: ${d.description}`,
        metric: d.metric,
        threshold: d.threshold,
        evaluationPeriods: d.periods,
        datapointsToAlarm: d.periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm.addAlarmAction(new cwActions.SnsAction(props.alertTopic));
      alarm.addOkAction(new cwActions.SnsAction(props.alertTopic));
      this.alarms[name] = alarm;
    }
  }
}
