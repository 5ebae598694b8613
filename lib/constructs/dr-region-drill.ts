import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DR_REGION_DRILL_METRICS as M } from '../../contract/metrics.js';
import type { EnvironmentConfig } from '../config/schema.js';
import { POSTGRES_PORT, POSTGRES_VERSION } from './auth-database.js';
import { unsuccessfulExecutions } from './drill-alarms.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeInlinePolicy, acknowledgeWildcard } from './nag.js';
import {
  DESTRUCTIVE_RDS_ACTIONS,
  DRILL_TAG_REQUESTED,
  deleteDrillInstances,
  drillInstancesArn,
  rdsArn,
} from './rds-guard.js';
import {
  invoke as invokeLambda,
  planningTask,
  recordError,
  workflowFunctions,
  workflowStateMachine,
} from './workflow-parts.js';

/** Seconds between two looks at the replicated backups' restore window. */
const BACKUP_POLL = Duration.seconds(60);
/** A connection to the primary from the DR VPC that takes longer than this counts as "primary unreachable". */
const PRIMARY_CONNECT_TIMEOUT = Duration.seconds(10);
/** How often the age of the last successful DR-region drill is published (the alarm looks at one day). */
const AGE_SCHEDULE = Duration.hours(6);

export interface DrRegionDrillProps {
  /** The environment's validated configuration: `drill` (class, tables, verifier, timeouts) and `drRegionDrill`. */
  readonly config: EnvironmentConfig;
  /** The DR-region VPC; the scratch instances and the verifier live in `subnets`. */
  readonly vpc: ec2.IVpc;
  /** Isolated subnets of `vpc` (no route to the internet). */
  readonly subnets: ec2.SubnetSelection;
  /** Security group of the Lambdas that talk to PostgreSQL (here: the verifier); the scratch instances admit it. */
  readonly lambdaSecurityGroup: ec2.ISecurityGroup;
  /** The DR region's database key: encrypts the replicated backups (so RDS needs a grant on it), logs and the queue. */
  readonly key: kms.IKey;
  /**
   * Keys the replicated backups are encrypted with, when not `key` (the DR region stack's replication key): RDS
   * needs a grant on them to restore. @default - none beyond `key`
   */
  readonly backupKeys?: kms.IKey[];
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  /** The primary instance, in the primary region: its replicated backups are restored; it is never changed. */
  readonly primaryInstanceId: string;
  readonly primaryInstanceArn: string;
  /**
   * The standby replica in this region, which no drill role may change.
   * @default `authdb-ENV-standby`
   */
  readonly standbyInstanceId?: string;
}

/**
 * The monthly DR-region drill: restores the automated backups replicated to the DR region into a scratch instance
 * in the DR VPC, verifies it with the primary drill's verifier (exactly against the primary counted at C when the
 * primary region answers, totals otherwise), reports RTO and RPO to the DR-region bucket, metrics and topic, and
 * deletes the scratch instance on every path (Catch, an EventBridge rule for aborted and timed-out executions, and
 * an hourly sweeper). Self-contained: everything it needs comes in as props.
 */
export class DrRegionDrill extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly scratchSecurityGroup: ec2.SecurityGroup;
  readonly functions: Record<
    'preflight' | 'verifier' | 'restore' | 'status' | 'report' | 'cleanup' | 'sweeper' | 'age',
    LambdaFunction
  >;
  readonly alarms: { failed: cloudwatch.Alarm; noRecentSuccess: cloudwatch.Alarm };

  constructor(scope: Construct, id: string, props: DrRegionDrillProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config } = props;
    const env = config.name;
    const drill = config.drill;
    const stateMachineName = `authdb-dr-${env}-dr-region-drill`;
    // Built from the fixed name: the functions need it, and the state machine needs the functions (a cycle).
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const executionsArn = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    // Network: scratch instances admit PostgreSQL from the Lambdas' security group only.
    this.scratchSecurityGroup = new ec2.SecurityGroup(this, 'ScratchSecurityGroup', {
      vpc: props.vpc,
      description: 'authdb DR-region drill scratch instances: PostgreSQL from the verifier only',
      allowAllOutbound: false,
    });
    this.scratchSecurityGroup.connections.allowFrom(
      props.lambdaSecurityGroup,
      ec2.Port.tcp(POSTGRES_PORT),
      'DR-region drill verifier',
    );
    const subnetGroup = new rds.SubnetGroup(this, 'ScratchSubnets', {
      vpc: props.vpc,
      description: 'authdb DR-region drill scratch instances: isolated subnets',
      vpcSubnets: props.subnets,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // The primary's parameter group lives in the primary region: scratch instances get one here, TLS only too.
    const parameterGroup = new rds.ParameterGroup(this, 'ScratchParameters', {
      engine: rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION }),
      description: 'authdb DR-region drill scratch instances: TLS only',
      parameters: { 'rds.force_ssl': '1' },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const parameterGroupName = parameterGroup.bindToInstance({}).parameterGroupName;

    const fn = workflowFunctions(this, {
      environment: env,
      key: props.key,
      logRetention: config.logRetentionDays,
    });
    const preflight = fn('dr-drill-preflight', 'DR-region drill preflight (replicated backups, primary reachable?)', {
      environment: {
        PRIMARY_REGION: config.primaryRegion,
        PRIMARY_INSTANCE_ID: props.primaryInstanceId,
        PRIMARY_CHECK_TIMEOUT_MS: String(config.drRegionDrill.primaryCheckTimeoutSeconds * 1000),
      },
    });
    const verifier = fn('dr-drill-verifier', 'DR-region drill verifier (row counts, read-only, TLS, IAM auth)', {
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.lambdaSecurityGroup],
      timeout: Duration.seconds(drill.statementTimeoutSeconds + 60),
      environment: {
        DATABASE_NAME: config.database.databaseName,
        VERIFIER_USER: drill.verifierRole,
        TABLES: JSON.stringify(drill.tables),
        SETTLE_SECONDS: String(drill.settleMinutes * 60),
        CONCURRENCY: String(drill.concurrency),
        STATEMENT_TIMEOUT_MS: String(drill.statementTimeoutSeconds * 1000),
        CONNECT_TIMEOUT_MS: String(PRIMARY_CONNECT_TIMEOUT.toMilliseconds()),
      },
    });
    const restore = fn('dr-drill-restore', 'DR-region drill restore from the replicated backups', {
      environment: {
        DRILL_INSTANCE_CLASS: drill.instanceClass,
        DRILL_SUBNET_GROUP: subnetGroup.subnetGroupName,
        DRILL_SECURITY_GROUP_ID: this.scratchSecurityGroup.securityGroupId,
        PARAMETER_GROUP: parameterGroupName,
      },
    });
    const status = fn('instance-status', 'one look at an instance status');
    const report = fn('dr-drill-report', 'DR-region drill report (S3, metrics, SNS)', {
      environment: {
        REPORT_BUCKET: props.reportBucket.bucketName,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        RTO_TARGET_SECONDS: String(config.targets.rtoMinutes * 60),
        RPO_TARGET_SECONDS: String(config.targets.rpoMinutes * 60),
      },
    });
    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const cleanup = fn('drill-cleanup', 'DR-region drill cleanup (deletes its own scratch instance)', {
      invokedBy: 'eventbridge',
      deadLetterQueue: deadLetters,
      timeout: Duration.minutes(2),
    });
    const sweeper = fn('drill-sweeper', 'DR-region drill sweeper (deletes abandoned scratch instances)', {
      invokedBy: 'eventbridge',
      deadLetterQueue: deadLetters,
      timeout: Duration.minutes(5),
      environment: { MAX_AGE_HOURS: String(drill.sweeperMaxAgeHours) },
    });
    const age = fn('dr-drill-age', 'age of the last successful DR-region drill (metric)', {
      invokedBy: 'eventbridge',
      deadLetterQueue: deadLetters,
      environment: { STATE_MACHINE_ARN: stateMachineArn },
    });
    this.functions = { preflight, verifier, restore, status, report, cleanup, sweeper, age };

    this.grant(props, {
      stateMachineArn,
      executionsArn,
      subnetGroupName: subnetGroup.subnetGroupName,
      parameterGroupName,
    });
    this.stateMachine = this.buildStateMachine(stateMachineName, props);
    this.acknowledgeWildcards(props, stateMachineName);

    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `authdb-dr ${env}: starts the monthly DR-region drill`,
    });
    acknowledgeInlinePolicy(scheduleRole);
    new scheduler.Schedule(this, 'Schedule', {
      description: `authdb-dr ${env}: monthly DR-region drill`,
      schedule: scheduler.ScheduleExpression.expression(
        config.drRegionDrill.schedule,
        TimeZone.of(drill.scheduleTimeZone),
      ),
      enabled: config.drRegionDrill.enabled,
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        retryAttempts: 0,
        role: scheduleRole,
      }),
    });

    // A Catch cannot see a timed-out, aborted or runtime-failed execution: clean up after those from EventBridge.
    new events.Rule(this, 'CleanupAfterAbnormalEnd', {
      description: `authdb-dr ${env}: delete the scratch instance of a DR-region drill that ended abnormally`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [new eventsTargets.LambdaFunction(cleanup.function, { deadLetterQueue: deadLetters, retryAttempts: 8 })],
    });
    new events.Rule(this, 'SweepHourly', {
      description: `authdb-dr ${env}: delete DR-region drill scratch instances older than their maximum age`,
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new eventsTargets.LambdaFunction(sweeper.function, { deadLetterQueue: deadLetters, retryAttempts: 2 })],
    });
    new events.Rule(this, 'PublishDrillAge', {
      description: `authdb-dr ${env}: publish the age of the last successful DR-region drill`,
      schedule: events.Schedule.rate(AGE_SCHEDULE),
      targets: [new eventsTargets.LambdaFunction(age.function, { deadLetterQueue: deadLetters, retryAttempts: 2 })],
    });

    this.alarms = this.buildAlarms(props);
  }

  /** Each role only what its step needs; the primary and the standby are denied explicitly to every function role. */
  private grant(
    props: DrRegionDrillProps,
    at: { stateMachineArn: string; executionsArn: string; subnetGroupName: string; parameterGroupName: string },
  ): void {
    const f = this.functions;
    const env = props.config.name;
    const standbyArn = rdsArn(this, 'db', props.standbyInstanceId ?? `authdb-${env}-standby`);
    const neverTouch = new iam.PolicyStatement({
      sid: 'NeverTouchPrimaryOrStandby',
      effect: iam.Effect.DENY,
      actions: [...DESTRUCTIVE_RDS_ACTIONS, 'rds:PromoteReadReplica'],
      resources: [props.primaryInstanceArn, standbyArn],
    });
    for (const fn of Object.values(f)) fn.role.addToPolicy(neverTouch);

    const allInstances = rdsArn(this, 'db', '*');
    const replicatedBackups = rdsArn(this, 'auto-backup', '*');
    const describeAll = new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [allInstances] });
    for (const fn of [f.preflight, f.status, f.cleanup, f.sweeper]) fn.role.addToPolicy(describeAll);
    f.preflight.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBInstanceAutomatedBackups'],
        resources: [replicatedBackups],
      }),
    );
    f.preflight.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'IsThePrimaryReachable',
        actions: ['rds:DescribeDBInstances'],
        resources: [props.primaryInstanceArn],
      }),
    );
    f.preflight.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [at.stateMachineArn] }),
    );

    f.restore.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [drillInstancesArn(this)] }),
    );
    f.restore.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RestoreIntoDrillInstancesOnly',
        actions: ['rds:RestoreDBInstanceToPointInTime'],
        resources: [
          drillInstancesArn(this),
          replicatedBackups,
          rdsArn(this, 'subgrp', at.subnetGroupName),
          rdsArn(this, 'pg', at.parameterGroupName),
          rdsArn(this, 'og', 'default:postgres-15'),
        ],
        conditions: DRILL_TAG_REQUESTED,
      }),
    );
    f.restore.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagDrillInstancesOnCreate',
        actions: ['rds:AddTagsToResource'],
        resources: [drillInstancesArn(this)],
        conditions: DRILL_TAG_REQUESTED,
      }),
    );
    f.restore.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LetRdsUseTheDrKey',
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [props.key, ...(props.backupKeys ?? [])].map((k) => k.keyArn),
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );

    // Any instance in either region (scratch instances get new resource ids), only as the read-only verifier role.
    f.verifier.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ConnectAsTheReadOnlyVerifier',
        actions: ['rds-db:connect'],
        resources: [Stack.of(this).region, props.config.primaryRegion].map((region) =>
          this.dbUserArn(region, props.config.drill.verifierRole),
        ),
      }),
    );

    f.report.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.reportBucket.arnForObjects('drills/*')] }),
    );
    props.reportBucket.encryptionKey?.grantEncrypt(f.report.role);
    props.alertTopic.grantPublish(f.report.role);

    for (const deleter of [f.cleanup, f.sweeper]) deleter.role.addToPolicy(deleteDrillInstances(this));
    f.sweeper.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [at.executionsArn] }),
    );
    f.age.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['states:ListExecutions', 'states:DescribeStateMachine'],
        resources: [at.stateMachineArn],
      }),
    );
  }

  private dbUserArn(region: string, user: string): string {
    return Stack.of(this).formatArn({
      service: 'rds-db',
      region,
      resource: 'dbuser',
      resourceName: `*/${user}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** Each wildcard is a name pattern that is itself the restriction, or an API that accepts no narrower resource. */
  private acknowledgeWildcards(props: DrRegionDrillProps, stateMachineName: string): void {
    const stack = Stack.of(this);
    // cdk-nag names a finding by the resource as rendered: the partition is a literal only where CDK knows it.
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const at = (resource: string, name: string, region = stack.region) =>
      `Resource::arn:${partition}:${resource === 'dbuser' ? 'rds-db' : 'rds'}:${region}:${stack.account}:${resource}:${name}`;
    const f = this.functions;
    for (const fn of [f.preflight, f.status, f.cleanup, f.sweeper]) {
      acknowledgeWildcard(
        fn.role,
        at('db', '*'),
        'DescribeDBInstances without an identifier (listing) needs db:*; it reads metadata only.',
      );
    }
    for (const fn of [f.restore, f.cleanup, f.sweeper]) {
      acknowledgeWildcard(
        fn.role,
        at('db', 'drill-*'),
        'db:drill-* is the guard itself: only scratch instances (prefix), and for deletes only with the drill tag.',
      );
    }
    for (const fn of [f.preflight, f.restore]) {
      acknowledgeWildcard(
        fn.role,
        at('auto-backup', '*'),
        'Replicated automated backups have generated ids (ab-...); the function finds them by source instance and only reads or restores from them.',
      );
    }
    for (const region of [stack.region, props.config.primaryRegion]) {
      acknowledgeWildcard(
        f.verifier.role,
        at('dbuser', `*/${props.config.drill.verifierRole}`, region),
        'Scratch instances get new resource ids at restore; the grant is limited to the read-only verifier user.',
      );
    }
    acknowledgeWildcard(
      f.report.role,
      `Resource::<${stack.getLogicalId(props.reportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/drills/*`,
      'Objects under the drills/ prefix of the report bucket, one a drill execution, named by execution.',
    );
    for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
      acknowledgeWildcard(
        f.report.role,
        `Action::${action}`,
        "CDK's grants to write to the encrypted report bucket and publish to the encrypted topic: their keys only.",
      );
    }
    acknowledgeWildcard(
      f.sweeper.role,
      `Resource::arn:${partition}:states:${stack.region}:${stack.account}:execution:${stateMachineName}:*`,
      "Executions of this environment's DR-region drill only, to see whether a scratch instance's drill still runs.",
    );
  }

  private buildAlarms(props: DrRegionDrillProps): DrRegionDrill['alarms'] {
    const env = props.config.name;
    const maxAgeDays = props.config.readiness.drDrillMaxAgeDays;
    const failed = new cloudwatch.Alarm(this, 'DrillFailedAlarm', {
      alarmName: `authdb-dr-${env}-dr-region-drill-ExecutionFailed`,
      alarmDescription: `authdb-dr ${env}: a DR-region drill failed, timed out or was aborted; see its report and execution`,
      metric: unsuccessfulExecutions(this.stateMachine, 'DR-region drill executions failed, timed out or aborted'),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const noRecentSuccess = new cloudwatch.Alarm(this, 'NoRecentSuccessAlarm', {
      alarmName: `authdb-dr-${env}-dr-region-drill-NoRecentSuccess`,
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
    for (const alarm of [failed, noRecentSuccess]) alarm.addAlarmAction(new actions.SnsAction(props.alertTopic));
    return { failed, noRecentSuccess };
  }

  private buildStateMachine(name: string, props: DrRegionDrillProps): sfn.StateMachine {
    const f = this.functions;
    const { config } = props;
    const maxWait = Duration.minutes(config.drill.maxWaitMinutes);
    const backupWait = Duration.minutes(config.drRegionDrill.backupWaitMinutes);
    const invoke = (id: string, fn: LambdaFunction, payload: Record<string, unknown> | undefined, resultPath: string) =>
      invokeLambda(this, id, fn, payload, resultPath);
    const failWith = (id: string, error: string, cause: string) => recordError(this, id, error, cause);

    // The end: report what happened, then succeed or fail with the original error.
    const failed = new sfn.Fail(this, 'DrillFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const cleanupFailed = new sfn.Fail(this, 'CleanupFailed', {
      error: 'CleanupFailed',
      cause: 'The scratch instance could not be deleted; the sweeper will retry and alarm',
    });
    const outcome = new sfn.Choice(this, 'Outcome')
      .when(sfn.Condition.isPresent('$.error'), failed)
      .when(sfn.Condition.isPresent('$.cleanupError'), cleanupFailed)
      .otherwise(new sfn.Succeed(this, 'DrillSucceeded'));
    const report = invoke('Report', f.report, undefined, '$.report');
    report.addCatch(new sfn.Pass(this, 'ReportFailed').next(outcome), { resultPath: '$.reportError' });
    report.next(outcome);

    const cleanup = invoke('Cleanup', f.cleanup, { 'plan.$': '$.plan' }, '$.cleanup');
    cleanup.addRetry({
      errors: ['Throttling', 'ThrottlingException', 'InvalidDBInstanceStateFault'],
      interval: Duration.seconds(30),
      backoffRate: 1.5,
      maxAttempts: 12,
      maxDelay: Duration.minutes(5),
    });
    cleanup.addCatch(report, { resultPath: '$.cleanupError' });
    cleanup.next(report);

    // Any failure after preflight goes through cleanup (a not-yet-created instance is fine there).
    const onFailure = new sfn.Pass(this, 'RecordFailure').next(cleanup);
    const catchAll = <T extends tasks.LambdaInvoke>(task: T): T => {
      task.addCatch(onFailure, { resultPath: '$.error' });
      return task;
    };

    const verify = catchAll(invoke('Verify', f.verifier, undefined, '$.verification'));
    verify.next(
      new sfn.Choice(this, 'Verified?')
        .when(sfn.Condition.booleanEquals('$.verification.ok', true), cleanup)
        .otherwise(failWith('VerificationMismatch', 'VerificationMismatch', '$.verification.summary').next(cleanup)),
    );

    const checkScratch = catchAll(
      invoke(
        'CheckScratch',
        f.status,
        {
          'instanceId.$': '$.plan.scratchInstanceId',
          'since.$': '$.restore.requestedAt',
          maxWaitSeconds: maxWait.toSeconds(),
        },
        '$.scratch',
      ),
    );
    const waitForScratch = new sfn.Wait(this, 'WaitForScratch', {
      time: sfn.WaitTime.duration(Duration.seconds(config.drill.pollSeconds)),
    });
    waitForScratch.next(checkScratch);
    checkScratch.next(
      new sfn.Choice(this, 'ScratchReady?')
        .when(sfn.Condition.booleanEquals('$.scratch.available', true), verify)
        .when(
          sfn.Condition.booleanEquals('$.scratch.failed', true),
          failWith(
            'ScratchFailed',
            'RestoreFailed',
            "States.Format('Scratch instance {} ended in status {}', $.scratch.instanceId, $.scratch.status)",
          ).next(cleanup),
        )
        .when(
          sfn.Condition.booleanEquals('$.scratch.timedOut', true),
          failWith(
            'ScratchTimedOut',
            'RestoreTimedOut',
            `States.Format('Scratch instance {} still {} after ${maxWait.toMinutes()} minutes', $.scratch.instanceId, $.scratch.status)`,
          ).next(cleanup),
        )
        .otherwise(waitForScratch),
    );

    const requestRestore = catchAll(invoke('RequestRestore', f.restore, undefined, '$.restore'));
    requestRestore.next(waitForScratch);

    // C is restorable in this region once the replicated backups' restore window reaches it.
    const checkBackups = catchAll(
      invoke(
        'CheckBackupsRestorable',
        f.preflight,
        {
          action: 'backup-status',
          'automatedBackupsArn.$': '$.plan.automatedBackupsArn',
          'restoreTime.$': '$.sourceCounts.countedAt',
          'since.$': '$.sourceCounts.countedAt',
          maxWaitSeconds: backupWait.toSeconds(),
        },
        '$.backupStatus',
      ),
    );
    const waitForBackups = new sfn.Wait(this, 'WaitForReplicatedLogs', { time: sfn.WaitTime.duration(BACKUP_POLL) });
    waitForBackups.next(checkBackups);
    checkBackups.next(
      new sfn.Choice(this, 'BackupsRestorable?')
        .when(sfn.Condition.booleanEquals('$.backupStatus.restorable', true), requestRestore)
        .when(
          sfn.Condition.booleanEquals('$.backupStatus.timedOut', true),
          failWith(
            'BackupsNotRestorable',
            'SourceNotRestorable',
            `States.Format('The replicated backups of {} did not reach {} within ${backupWait.toMinutes()} minutes', $.plan.sourceInstanceId, $.sourceCounts.countedAt)`,
          ).next(cleanup),
        )
        .otherwise(waitForBackups),
    );

    // The primary answered: count it at C (exact comparison). When it cannot be counted, go on with totals: the
    // state then has no `sourceCounts`, which is why the restore and the verifier get the whole state.
    const totalsOnly = new sfn.Pass(this, 'TotalsOnly', { comment: 'No counts of the primary: report totals only.' });
    totalsOnly.next(requestRestore);
    const countSource = invoke(
      'CountPrimary',
      f.verifier,
      { action: 'count-source', 'plan.$': '$.plan' },
      '$.sourceCounts',
    );
    countSource.addCatch(totalsOnly, { resultPath: '$.primaryError' });
    countSource.next(checkBackups);

    const preflight = planningTask(
      this,
      'Preflight',
      f.preflight,
      'PreflightFailed',
      'Finds the replicated backups and asks whether the primary region answers; creates nothing.',
    );
    preflight.next(
      new sfn.Choice(this, 'PrimaryReachable?')
        .when(sfn.Condition.booleanEquals('$.plan.primary.reachable', true), countSource)
        .otherwise(totalsOnly),
    );

    return workflowStateMachine(this, {
      environment: config.name,
      key: props.key,
      logRetention: config.logRetentionDays,
      name,
      comment: `authdb-dr ${config.name}: DR-region drill (restore the replicated backups, verify, report, clean up)`,
      start: preflight,
      timeout: maxWait.plus(backupWait).plus(Duration.minutes(45)),
      invokes: [f.preflight, f.verifier, f.restore, f.status, f.report, f.cleanup],
    });
  }
}
