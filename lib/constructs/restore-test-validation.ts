import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { resourceName } from '../../contract/names.js';
import { type AuthDatabase, POSTGRES_PORT } from './auth-database.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeInlinePolicy, acknowledgeWildcard } from './nag.js';
import { invoke, workflowFunctions, workflowStateMachine } from './workflow-parts.js';

export interface RestoreTestValidationProps {
  readonly environment: string;
  readonly key: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly vpc: ec2.IVpc;
  /** The production database: the restore is compared with its schema and settled rows. */
  readonly database: AuthDatabase;
  readonly databaseName: string;
  /** AWS Backup restore testing plan whose jobs are validated, and the security group its instances get. */
  readonly restoreTestingPlanArn: string;
  readonly restoreTestingSecurityGroup: ec2.ISecurityGroup;
  readonly verifierRole: string;
  readonly tables: ReadonlyArray<{ name: string; timeColumn?: string; tolerance: number }>;
  readonly settle: Duration;
  readonly concurrency: number;
  readonly statementTimeout: Duration;
  /** The newest restored row may be at most this much older than the recovery point. */
  readonly maxDataAge: Duration;
  /** The drill's one-look-at-an-instance function, reused for the wait loop. */
  readonly statusFunction: LambdaFunction;
  readonly maxWait: Duration;
  readonly poll: Duration;
  readonly alertTopic: sns.ITopic;
}

/**
 * Validates every AWS Backup restore test of the database with our verifier: an EventBridge rule on a completed
 * restore job starts a small state machine that waits for the restored instance, checks schema, totals and freshness
 * against the recovery point, and records SUCCESSFUL or FAILED with AWS Backup (PutRestoreValidationResult). Every
 * path that cannot validate records FAILED; alarms catch executions that end without recording anything.
 */
export class RestoreTestValidation extends Construct {
  readonly function: LambdaFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly securityGroup: ec2.SecurityGroup;
  readonly rule: events.Rule;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: RestoreTestValidationProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const db = props.database;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'authdb restore test validation: PostgreSQL to the database and restore-test instances only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(db.securityGroup, ec2.Port.tcp(POSTGRES_PORT), 'production database');
    db.allowConnectionsFrom(this.securityGroup, 'restore test validation (read-only verifier role)');
    // Both rules in this stack, explicitly: the add*Rule methods would put one in the backup stack, which this stack
    // depends on (a cycle).
    new ec2.CfnSecurityGroupEgress(this, 'RestoreTestEgress', {
      groupId: this.securityGroup.securityGroupId,
      destinationSecurityGroupId: props.restoreTestingSecurityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: 'restore-test instances',
    });
    new ec2.CfnSecurityGroupIngress(this, 'RestoreTestIngress', {
      groupId: props.restoreTestingSecurityGroup.securityGroupId,
      sourceSecurityGroupId: this.securityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: 'restore test validation (read-only verifier role)',
    });

    const fn = workflowFunctions(this, props);
    this.function = fn(
      'restore-test-validation',
      'restore test validation (schema, totals, freshness; TLS, IAM auth)',
      {
        vpc: props.vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        securityGroups: [this.securityGroup],
        timeout: Duration.seconds(props.statementTimeout.toSeconds() + 60),
        environment: {
          DATABASE_NAME: props.databaseName,
          VERIFIER_USER: props.verifierRole,
          TABLES: JSON.stringify(props.tables),
          SETTLE_SECONDS: String(props.settle.toSeconds()),
          CONCURRENCY: String(props.concurrency),
          STATEMENT_TIMEOUT_MS: String(props.statementTimeout.toMilliseconds()),
          RESTORE_TESTING_PLAN_ARN: props.restoreTestingPlanArn,
          SOURCE_HOST: db.instance.dbInstanceEndpointAddress,
          SOURCE_PORT: db.instance.dbInstanceEndpointPort,
          MAX_DATA_AGE_SECONDS: String(props.maxDataAge.toSeconds()),
          ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        },
      },
    );
    const role = this.function.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ConnectAsTheReadOnlyVerifier',
        actions: ['rds-db:connect'],
        resources: [
          stack.formatArn({
            service: 'rds-db',
            resource: 'dbuser',
            resourceName: `*/${props.verifierRole}`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndValidateRestoreJobs',
        actions: ['backup:DescribeRestoreJob', 'backup:PutRestoreValidationResult'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcard(
      role,
      'Resource::*',
      'DescribeRestoreJob and PutRestoreValidationResult support no resource-level permissions (restore jobs have ' +
        'no ARN); the function acts only on jobs of its own restore testing plan, checked in code.',
    );
    props.alertTopic.grantPublish(role);
    // cdk-nag names a finding by the resource as rendered: the partition is a literal only where CDK knows it.
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    acknowledgeWildcard(
      role,
      `Resource::arn:${partition}:rds-db:${stack.region}:${stack.account}:dbuser:*/${props.verifierRole}`,
      'Restore-test instances get new resource ids; the grant is limited to the read-only verifier user.',
    );
    acknowledgeWildcard(
      role,
      'Action::kms:GenerateDataKey*',
      "CDK's grant to publish to the encrypted alert topic: the topic key only, which SNS needs to encrypt messages.",
    );

    // The state machine: describe -> wait for the instance -> validate -> record; every failure records FAILED.
    const record = invoke(this, 'Record', this.function, { action: 'record', 'state.$': '$' }, '$.recorded');
    record.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), maxAttempts: 3 });
    const validate = invoke(
      this,
      'Validate',
      this.function,
      { action: 'validate', 'job.$': '$.job', 'instance.$': '$.instance' },
      '$.outcome',
    );
    validate.addCatch(record, { resultPath: '$.error' });
    const check = invoke(
      this,
      'CheckInstance',
      props.statusFunction,
      {
        'instanceId.$': '$.job.instanceId',
        'since.$': '$.job.since',
        maxWaitSeconds: props.maxWait.toSeconds(),
      },
      '$.instance',
    );
    check.addCatch(record, { resultPath: '$.error' });
    const wait = new sfn.Wait(this, 'WaitForInstance', { time: sfn.WaitTime.duration(props.poll) });
    const ready = new sfn.Choice(this, 'Ready?')
      .when(sfn.Condition.booleanEquals('$.instance.available', true), validate.next(record))
      .when(
        sfn.Condition.or(
          sfn.Condition.booleanEquals('$.instance.failed', true),
          sfn.Condition.booleanEquals('$.instance.timedOut', true),
        ),
        record,
      )
      .otherwise(wait.next(check));
    const describe = invoke(this, 'Describe', this.function, { action: 'describe', 'event.$': '$' }, '$.job');
    const ours = new sfn.Choice(this, 'Ours?')
      .when(sfn.Condition.booleanEquals('$.job.ours', false), new sfn.Succeed(this, 'NotOurs'))
      .otherwise(check.next(ready));

    this.stateMachine = workflowStateMachine(this, {
      ...props,
      name: resourceName(props.environment, 'restore-test-validation'),
      comment: 'Validates an AWS Backup restore test of the database and records the result with AWS Backup',
      start: describe.next(ours),
      timeout: props.maxWait.plus(Duration.hours(1)),
      invokes: [this.function, props.statusFunction],
    });

    this.rule = new events.Rule(this, 'RestoreTestCompleted', {
      description: 'A restore job of the database completed: validate it if it is one of our restore tests',
      eventPattern: {
        source: ['aws.backup'],
        detailType: ['Restore Job State Change'],
        detail: { status: ['COMPLETED'], resourceType: ['RDS'] },
      },
      targets: [new targets.SfnStateMachine(this.stateMachine)],
    });

    // A restore test left without validation: an execution that failed, timed out or was stopped before recording,
    // or an event that never started one.
    const unvalidated = new cloudwatch.MathExpression({
      expression: 'failed + timedOut + aborted',
      usingMetrics: {
        failed: this.stateMachine.metricFailed({ period: Duration.minutes(5) }),
        timedOut: this.stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
        aborted: this.stateMachine.metricAborted({ period: Duration.minutes(5) }),
      },
      label: 'restore tests left without validation',
    });
    const notStarted = new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensionsMap: { RuleName: this.rule.ruleName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
    this.alarms = [
      new cloudwatch.Alarm(this, 'UnvalidatedAlarm', {
        alarmDescription: `authdb-dr ${props.environment}: a restore test validation ended without a result`,
        metric: unvalidated,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'NotStartedAlarm', {
        alarmDescription: `authdb-dr ${props.environment}: a completed restore test did not start its validation`,
        metric: notStarted,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of this.alarms) alarm.addAlarmAction(new actions.SnsAction(props.alertTopic));
    // The role EventBridge assumes to start executions of this one state machine (CDK's SfnStateMachine target).
    acknowledgeInlinePolicy(this.stateMachine.node.findChild('EventsRole'));
  }
}
