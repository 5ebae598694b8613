import { CfnOutput, Duration } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { FAILOVER_METRICS, METRIC_SERVICES, METRICS_NAMESPACE, metricDimensions } from '../../contract/metrics.js';
import { keyAliasName, resourceName } from '../../contract/names.js';
import { EncryptionKey } from '../constructs/encryption-key.js';
import { FailoverWorkflow } from '../constructs/failover-workflow.js';
import { ReportBucket } from '../constructs/report-bucket.js';
import { standbyIdentifier } from '../constructs/standby-replica.js';
import type { DrStandbyStack } from './dr-standby-stack.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

/** RDS event categories of the standby that mean it is not available or stopped replicating. */
export const STANDBY_EVENT_CATEGORIES = ['availability', 'failure', 'read replica', 'recovery', 'notification'];

export interface DrRecoveryStackProps extends EnvironmentStackProps {
  readonly site: DrStandbyStack;
  /** The DR vault (recovery-point mode) and the keys of what the failover restores. */
  readonly drVault: backup.IBackupVault;
  readonly replicationKey: kms.IKey;
  readonly drVaultKey: kms.IKey;
}

/**
 * The region-loss control plane, in the DR region: failover workflow, its report bucket, alert topic, standby health
 * alarms and dashboard. It calls no primary-region API and holds no primary-region value (test/stacks/dr-recovery-
 * stack.test.ts). Stateless apart from the retained report bucket. Its public props are what a DR-region drill needs.
 */
export class DrRecoveryStack extends EnvironmentStack {
  readonly vpc: ec2.IVpc;
  /** Isolated subnets of the DR VPC. */
  readonly isolatedSubnets: ec2.ISubnet[];
  /** A security group for verifier-style functions, admitted by the DR databases on PostgreSQL. */
  readonly verifierSecurityGroup: ec2.ISecurityGroup;
  readonly alertTopic: sns.Topic;
  readonly reports: ReportBucket;
  /** The DR-region database key (logs, reports, databases here). */
  readonly databaseKey: kms.IKey;
  readonly failover: FailoverWorkflow;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: DrRecoveryStackProps) {
    super(scope, id, props);
    const { config, site } = props;
    const t = config.targets;
    const d = config.drill;
    this.vpc = site.vpc;
    this.isolatedSubnets = site.vpc.isolatedSubnets;
    this.databaseKey = site.key;
    const topicKey = new EncryptionKey(this, 'AlertsKey', {
      alias: keyAliasName(config.name, 'dr-alerts'),
      description: `authdb ${config.name}: messages of the DR-region alert topic`,
      administration: this.keyAdministration,
    }).key;
    this.alertTopic = new sns.Topic(this, 'Alerts', {
      topicName: resourceName(config.name, 'dr-alerts'),
      displayName: 'authdb-dr DR-region alerts',
      masterKey: topicKey,
      enforceSSL: true,
    });
    for (const email of config.alerts.emails)
      this.alertTopic.addSubscription(new subscriptions.EmailSubscription(email));
    for (const [sid, service] of [
      ['AllowCloudWatchAlarms', 'cloudwatch.amazonaws.com'],
      ['AllowRdsEventNotifications', 'events.rds.amazonaws.com'],
    ] as const) {
      topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        }),
      );
    }
    this.alertTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowRdsEventNotifications',
        principals: [new iam.ServicePrincipal('events.rds.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertTopic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.reports = new ReportBucket(this, 'Reports', {
      key: site.key,
      retention: Duration.days(d.reportRetentionDays),
      writtenBy: 'the failover report function (one object an execution)',
      whyNoReplication:
        'This bucket is the copy outside the primary region: it exists for when that region is lost. Each report is ' +
        'also summarized by e-mail and its figures are CloudWatch metrics.',
    });

    const f = config.drSite.failover;
    this.failover = new FailoverWorkflow(this, 'Failover', {
      environment: config.name,
      vpc: site.vpc,
      key: site.key,
      sourceKeys: [props.replicationKey, props.drVaultKey],
      primaryInstanceId: `authdb-${config.name}`,
      standbyInstanceId: standbyIdentifier(config.name),
      databaseSecurityGroup: site.databaseSecurityGroup,
      subnetGroup: site.subnetGroup,
      parameterGroupName: site.parameterGroupName,
      vault: props.drVault,
      alertTopic: this.alertTopic,
      reportBucket: this.reports.bucket,
      databaseName: config.database.databaseName,
      verifierRole: d.verifierRole,
      tables: d.tables,
      concurrency: d.concurrency,
      statementTimeout: Duration.seconds(d.statementTimeoutSeconds),
      instanceClasses: f.instanceClasses,
      backupRetention: Duration.days(config.database.backupRetentionDays),
      poll: Duration.seconds(f.pollSeconds),
      promoteTimeout: Duration.minutes(f.promoteTimeoutMinutes),
      restoreTimeout: Duration.minutes(f.restoreTimeoutMinutes),
      maxDataAge: Duration.minutes(t.rpoMinutes + t.rpoAlarmMarginMinutes),
      rtoTarget: Duration.minutes(t.rtoMinutes),
      rpoTarget: Duration.minutes(t.rpoMinutes),
      logRetention: config.logRetentionDays,
    });
    // Admitted by the DR databases (connections.allowTo in the workflow); the rule lives in this stack.
    this.verifierSecurityGroup = this.failover.verifierSecurityGroup;

    const action = new cloudwatchActions.SnsAction(this.alertTopic);
    const alarm = (alarmId: string, a: cloudwatch.AlarmProps) => {
      const created = new cloudwatch.Alarm(this, alarmId, a);
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };
    const executions = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/States',
        metricName,
        dimensionsMap: { StateMachineArn: this.failover.stateMachine.stateMachineArn },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    alarm('FailoverUnsuccessful', {
      alarmName: resourceName(config.name, 'failover-unsuccessful'),
      alarmDescription: 'A failover execution failed, timed out or was aborted: the DR region has no verified writer',
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: executions('ExecutionsFailed'),
          timedOut: executions('ExecutionsTimedOut'),
          aborted: executions('ExecutionsAborted'),
        },
        period: Duration.minutes(1),
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const failoverMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: metricDimensions(config.name, METRIC_SERVICES.failover),
        statistic: 'Maximum',
        period: Duration.minutes(5),
      });
    const widgets: cloudwatch.IWidget[] = [
      new cloudwatch.GraphWidget({
        title: 'Failover RTO and RPO (seconds)',
        left: [failoverMetric(FAILOVER_METRICS.rto), failoverMetric(FAILOVER_METRICS.rpo)],
        leftAnnotations: [
          { value: t.rtoMinutes * 60, label: 'RTO target' },
          { value: t.rpoMinutes * 60, label: 'RPO target' },
        ],
      }),
    ];

    const standby = site.standby;
    if (standby) {
      const lagThreshold = t.rpoMinutes * 60 - config.drSite.standby.lagAlarmMarginSeconds;
      const lag = (statistic: string) =>
        new cloudwatch.Metric({
          namespace: 'AWS/RDS',
          metricName: 'ReplicaLag',
          dimensionsMap: { DBInstanceIdentifier: standby.instanceIdentifier },
          statistic,
          period: Duration.minutes(1),
        });
      alarm('StandbyLag', {
        alarmName: resourceName(config.name, 'standby-lag'),
        alarmDescription: `The standby's replica lag is above ${lagThreshold} s (RPO target minus margin): a promotion now would lose more than the RPO allows`,
        metric: lag('Maximum'),
        threshold: lagThreshold,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      alarm('StandbyNotAvailable', {
        alarmName: resourceName(config.name, 'standby-not-available'),
        alarmDescription: 'The standby reports no replica lag: it is not available, or replication has stopped',
        metric: lag('SampleCount'),
        threshold: 1,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No data = no replica reporting = not available.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      // Replication stopped/terminated, instance failure or unavailability arrive as RDS events.
      new rds.CfnEventSubscription(this, 'StandbyEvents', {
        subscriptionName: resourceName(config.name, 'standby-events'),
        snsTopicArn: this.alertTopic.topicArn,
        sourceType: 'db-instance',
        sourceIds: [standby.instanceIdentifier],
        eventCategories: STANDBY_EVENT_CATEGORIES,
        enabled: true,
      });
      widgets.push(
        new cloudwatch.GraphWidget({
          title: `Standby ${standby.instanceIdentifier}: replica lag (seconds)`,
          left: [lag('Maximum')],
          leftAnnotations: [{ value: lagThreshold, label: 'alarm: RPO target minus margin' }],
        }),
      );
    }
    widgets.push(new cloudwatch.AlarmStatusWidget({ title: 'DR-region alarms', alarms: this.alarms }));
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: resourceName(config.name, 'dr'),
      widgets: [widgets],
    });

    const output = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description });
    output(
      'FailoverStateMachineArn',
      this.failover.stateMachine.stateMachineArn,
      'Start a failover here (README: region loss)',
    );
    output('ReportBucketName', this.reports.bucket.bucketName, 'Failover reports: failovers/ENV/YYYY/MM/');
    output('AlertTopicArn', this.alertTopic.topicArn, 'DR-region alerts');
  }
}
