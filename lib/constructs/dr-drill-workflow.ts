import { ArnFormat, Duration, RemovalPolicy, Stack, TimeZone, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { stateMachineName as workflowName } from '../../contract/names.js';
import { DRILL_PREFIX } from '../../contract/tags.js';
import type { VerifiedTable } from '../config/drill-schema.js';
import { type AuthDatabase, POSTGRES_PORT } from './auth-database.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeInlinePolicy, acknowledgeWildcard } from './nag.js';
import {
  DRILL_TAG_REQUESTED,
  deleteDrillInstances,
  denyDestructiveOn,
  drillInstancesArn,
  rdsArn,
} from './rds-guard.js';
import {
  invoke as invokeLambda,
  planningTask,
  recordError,
  setNull,
  workflowFunctions,
  workflowStateMachine,
} from './workflow-parts.js';

/** How long the source may take to make C restorable (RDS ships transaction logs every 5 minutes). */
export const SOURCE_RESTORABLE_WAIT = Duration.minutes(15);
/** Seconds between two looks at the source's LatestRestorableTime. */
const SOURCE_POLL = Duration.seconds(30);

export interface DrDrillWorkflowProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  /** The production database the drill restores from. */
  readonly database: AuthDatabase;
  /** The database's key: RDS needs a grant on it to restore; it also encrypts this workflow's logs and queue. */
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  readonly databaseName: string;
  /** EventBridge Scheduler expression, e.g. `cron(0 10 ? * WED *)`, in `scheduleTimeZone`. */
  readonly schedule: string;
  readonly scheduleTimeZone: string;
  readonly instanceClass: string;
  readonly maxWait: Duration;
  readonly poll: Duration;
  readonly settle: Duration;
  readonly tables: VerifiedTable[];
  /** Read-only PostgreSQL role the verifier logs in as, with IAM database authentication. */
  readonly verifierRole: string;
  readonly concurrency: number;
  readonly statementTimeout: Duration;
  readonly sweeperMaxAge: Duration;
  readonly rtoTarget: Duration;
  readonly rpoTarget: Duration;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The scheduled DR drill: restore the production database into a scratch instance (point in time C, where the
 * source was counted, or a snapshot), verify the restored rows against the source, report RTO and RPO, and delete
 * the scratch instance on every path. Step Functions does all the waiting.
 */
export class DrDrillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Security group of the scratch instances: admits only the verifier. */
  readonly scratchSecurityGroup: ec2.SecurityGroup;
  readonly verifierSecurityGroup: ec2.SecurityGroup;
  readonly functions: Record<
    'preflight' | 'verifier' | 'restore' | 'status' | 'report' | 'cleanup' | 'sweeper',
    LambdaFunction
  >;

  constructor(scope: Construct, id: string, props: DrDrillWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const db = props.database;
    const stateMachineName = workflowName(props.environment, 'drill');
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
    const productionArn = db.instance.instanceArn;

    // Network: the verifier reaches PostgreSQL on the production instance and on scratch instances, nothing else.
    this.verifierSecurityGroup = new ec2.SecurityGroup(this, 'VerifierSecurityGroup', {
      vpc: props.vpc,
      description: 'authdb drill verifier: PostgreSQL to the database and drill instances only',
      allowAllOutbound: false,
    });
    this.scratchSecurityGroup = new ec2.SecurityGroup(this, 'ScratchSecurityGroup', {
      vpc: props.vpc,
      description: 'authdb drill scratch instances: PostgreSQL from the verifier only',
      allowAllOutbound: false,
    });
    this.scratchSecurityGroup.addIngressRule(this.verifierSecurityGroup, ec2.Port.tcp(POSTGRES_PORT), 'drill verifier');
    this.verifierSecurityGroup.addEgressRule(
      this.scratchSecurityGroup,
      ec2.Port.tcp(POSTGRES_PORT),
      'scratch instances',
    );
    this.verifierSecurityGroup.addEgressRule(db.securityGroup, ec2.Port.tcp(POSTGRES_PORT), 'production database');
    db.allowConnectionsFrom(this.verifierSecurityGroup, 'drill verifier (read-only role)');
    const subnetGroup = new rds.SubnetGroup(this, 'ScratchSubnets', {
      vpc: props.vpc,
      description: 'authdb drill scratch instances: isolated subnets',
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const subnetGroupName = (subnetGroup.node.defaultChild as rds.CfnDBSubnetGroup).ref;

    const fn = workflowFunctions(this, props);

    const preflight = fn('drill-preflight', 'drill preflight (source, concurrency, RPO lag)', {
      environment: { SOURCE_INSTANCE_ID: db.instanceIdentifier },
    });
    const verifier = fn('drill-verifier', 'drill verifier (row counts, read-only, TLS, IAM auth)', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.verifierSecurityGroup],
      timeout: Duration.seconds(props.statementTimeout.toSeconds() + 60),
      environment: {
        DATABASE_NAME: props.databaseName,
        VERIFIER_USER: props.verifierRole,
        TABLES: JSON.stringify(props.tables),
        SETTLE_SECONDS: String(props.settle.toSeconds()),
        CONCURRENCY: String(props.concurrency),
        STATEMENT_TIMEOUT_MS: String(props.statementTimeout.toMilliseconds()),
      },
    });
    const restore = fn('drill-restore', 'drill restore into a scratch instance', {
      environment: {
        DRILL_INSTANCE_CLASS: props.instanceClass,
        DRILL_SUBNET_GROUP: subnetGroupName,
        DRILL_SECURITY_GROUP_ID: this.scratchSecurityGroup.securityGroupId,
        PARAMETER_GROUP: db.parameterGroupName,
      },
    });
    const status = fn('instance-status', 'one look at an instance status');
    const report = fn('drill-report', 'drill report (S3, metrics, SNS)', {
      environment: {
        REPORT_BUCKET: props.reportBucket.bucketName,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        RTO_TARGET_SECONDS: String(props.rtoTarget.toSeconds()),
        RPO_TARGET_SECONDS: String(props.rpoTarget.toSeconds()),
      },
    });
    const deadLetters = new sqs.Queue(this, 'CleanupDeadLetters', {
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const cleanup = fn('drill-cleanup', 'drill cleanup (deletes its own scratch instance)', {
      invokedBy: 'eventbridge',
      deadLetterQueue: deadLetters,
      timeout: Duration.minutes(2),
    });
    const sweeper = fn('drill-sweeper', 'drill sweeper (deletes abandoned scratch instances)', {
      invokedBy: 'eventbridge',
      deadLetterQueue: deadLetters,
      timeout: Duration.minutes(5),
      environment: { MAX_AGE_HOURS: String(props.sweeperMaxAge.toHours()) },
    });
    this.functions = { preflight, verifier, restore, status, report, cleanup, sweeper };

    // Permissions, each role only what its step needs; production is denied explicitly to every drill role.
    const allInstances = rdsArn(this, 'db', '*');
    for (const f of Object.values(this.functions)) f.role.addToPolicy(denyDestructiveOn(productionArn));
    preflight.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [allInstances] }),
    );
    preflight.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshots'],
        resources: [productionArn, rdsArn(this, 'snapshot', '*')],
      }),
    );
    preflight.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [stateMachineArn] }),
    );
    status.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [allInstances] }),
    );
    restore.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [drillInstancesArn(this)] }),
    );
    restore.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RestoreIntoDrillInstancesOnly',
        actions: ['rds:RestoreDBInstanceToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot'],
        resources: [
          drillInstancesArn(this),
          productionArn,
          rdsArn(this, 'snapshot', '*'),
          rdsArn(this, 'subgrp', subnetGroupName),
          rdsArn(this, 'pg', db.parameterGroupName),
          rdsArn(this, 'og', 'default:postgres-15'),
        ],
        conditions: DRILL_TAG_REQUESTED,
      }),
    );
    restore.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagDrillInstancesOnCreate',
        actions: ['rds:AddTagsToResource'],
        resources: [drillInstancesArn(this)],
        conditions: DRILL_TAG_REQUESTED,
      }),
    );
    restore.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LetRdsUseTheDatabaseKey',
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [props.key.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    verifier.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ConnectAsTheReadOnlyVerifier',
        actions: ['rds-db:connect'],
        // Any instance (scratch instances get new resource ids), but only as the read-only verifier role.
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
    report.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.reportBucket.arnForObjects('drills/*')] }),
    );
    report.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [props.key.keyArn] }),
    );
    props.alertTopic.grantPublish(report.role);
    for (const deleter of [cleanup, sweeper]) {
      deleter.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [allInstances] }),
      );
      deleter.role.addToPolicy(deleteDrillInstances(this));
    }
    sweeper.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executionsArn] }),
    );

    this.stateMachine = this.buildStateMachine(stateMachineName, props);
    this.acknowledgeWildcards(props);

    // Scheduled start, in Asia/Seoul time; `{}` means a point-in-time drill.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `authdb-dr ${props.environment}: starts the weekly DR drill`,
    });
    acknowledgeInlinePolicy(scheduleRole);
    new scheduler.Schedule(this, 'Schedule', {
      description: `authdb-dr ${props.environment}: weekly DR drill`,
      schedule: scheduler.ScheduleExpression.expression(props.schedule, TimeZone.of(props.scheduleTimeZone)),
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({}),
        retryAttempts: 0,
        role: scheduleRole,
      }),
    });

    // A Catch cannot see a timed-out, aborted or runtime-failed execution: clean up after those from EventBridge.
    new events.Rule(this, 'CleanupAfterAbnormalEnd', {
      description: `authdb-dr ${props.environment}: delete the scratch instance of a drill that ended abnormally`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [new eventsTargets.LambdaFunction(cleanup.function, { deadLetterQueue: deadLetters, retryAttempts: 8 })],
    });
    new events.Rule(this, 'SweepHourly', {
      description: `authdb-dr ${props.environment}: delete drill scratch instances older than their maximum age`,
      schedule: events.Schedule.rate(Duration.hours(1)),
      targets: [new eventsTargets.LambdaFunction(sweeper.function, { deadLetterQueue: deadLetters, retryAttempts: 2 })],
    });
  }

  /** Each wildcard is a name pattern that is itself the restriction, or an API that accepts no narrower resource. */
  private acknowledgeWildcards(props: DrDrillWorkflowProps): void {
    const stack = Stack.of(this);
    // cdk-nag names a finding by the resource as rendered: the partition is a literal only where CDK knows it.
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const at = (resource: string, name: string) =>
      `arn:${partition}:${resource === 'dbuser' ? 'rds-db' : 'rds'}:${stack.region}:${stack.account}:${resource}:${name}`;
    const f = this.functions;
    const allDb = `Resource::${at('db', '*')}`;
    const drillDb = `Resource::${at('db', `${DRILL_PREFIX}*`)}`;
    const snapshots = `Resource::${at('snapshot', '*')}`;
    const describeAll = 'DescribeDBInstances without an identifier (listing) needs db:*; it reads metadata only.';
    const drillOnly =
      'db:drill-* is the guard itself: only scratch instances (prefix), and for deletes only with the drill tag.';
    const anySnapshot =
      'Snapshots of the source have generated names (rds:..., awsbackup:job-...); restoring from one only reads it.';
    for (const fn of [f.preflight, f.status, f.cleanup, f.sweeper]) acknowledgeWildcard(fn.role, allDb, describeAll);
    for (const fn of [f.restore, f.cleanup, f.sweeper]) acknowledgeWildcard(fn.role, drillDb, drillOnly);
    for (const fn of [f.preflight, f.restore]) acknowledgeWildcard(fn.role, snapshots, anySnapshot);
    acknowledgeWildcard(
      f.verifier.role,
      `Resource::${at('dbuser', `*/${props.verifierRole}`)}`,
      'Scratch instances get new resource ids at restore; the grant is limited to the read-only verifier user.',
    );
    acknowledgeWildcard(
      f.report.role,
      `Resource::<${stack.getLogicalId(props.reportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/drills/*`,
      'Objects under the drills/ prefix of the report bucket, one a drill execution, named by execution.',
    );
    acknowledgeWildcard(
      f.report.role,
      'Action::kms:GenerateDataKey*',
      "CDK's grant to publish to the encrypted alert topic: the topic key only, which SNS needs to encrypt messages.",
    );
    acknowledgeWildcard(
      f.sweeper.role,
      `Resource::arn:${partition}:states:${stack.region}:${stack.account}:execution:${workflowName(props.environment, 'drill')}:*`,
      "Executions of this environment's drill state machine only, to see whether a scratch instance's drill still runs.",
    );
  }

  private buildStateMachine(name: string, props: DrDrillWorkflowProps): sfn.StateMachine {
    const f = this.functions;
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

    const verify = catchAll(
      invoke(
        'Verify',
        f.verifier,
        { action: 'verify', 'plan.$': '$.plan', 'scratch.$': '$.scratch', 'sourceCounts.$': '$.sourceCounts' },
        '$.verification',
      ),
    );
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
          maxWaitSeconds: props.maxWait.toSeconds(),
        },
        '$.scratch',
      ),
    );
    const waitForScratch = new sfn.Wait(this, 'WaitForScratch', { time: sfn.WaitTime.duration(props.poll) });
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
            `States.Format('Scratch instance {} still {} after ${props.maxWait.toMinutes()} minutes', $.scratch.instanceId, $.scratch.status)`,
          ).next(cleanup),
        )
        .otherwise(waitForScratch),
    );

    const requestRestore = catchAll(
      invoke('RequestRestore', f.restore, { 'plan.$': '$.plan', 'sourceCounts.$': '$.sourceCounts' }, '$.restore'),
    );
    requestRestore.next(waitForScratch);

    const checkSource = catchAll(
      invoke(
        'CheckSourceRestorable',
        f.status,
        {
          'instanceId.$': '$.plan.sourceInstanceId',
          'since.$': '$.sourceCounts.countedAt',
          'restoreTime.$': '$.sourceCounts.countedAt',
          maxWaitSeconds: SOURCE_RESTORABLE_WAIT.toSeconds(),
        },
        '$.sourceStatus',
      ),
    );
    const waitForSource = new sfn.Wait(this, 'WaitForSourceLogs', { time: sfn.WaitTime.duration(SOURCE_POLL) });
    waitForSource.next(checkSource);
    checkSource.next(
      new sfn.Choice(this, 'SourceRestorable?')
        .when(sfn.Condition.booleanEquals('$.sourceStatus.restorable', true), requestRestore)
        .when(
          sfn.Condition.booleanEquals('$.sourceStatus.timedOut', true),
          failWith(
            'SourceNotRestorable',
            'SourceNotRestorable',
            `States.Format('LatestRestorableTime of {} did not reach {} within ${SOURCE_RESTORABLE_WAIT.toMinutes()} minutes', $.plan.sourceInstanceId, $.sourceCounts.countedAt)`,
          ).next(cleanup),
        )
        .otherwise(waitForSource),
    );

    const countSource = catchAll(
      invoke('CountSource', f.verifier, { action: 'count-source', 'plan.$': '$.plan' }, '$.sourceCounts'),
    );
    countSource.next(checkSource);
    const noSourceCounts = setNull(this, 'NoSourceCounts', '$.sourceCounts');
    noSourceCounts.next(requestRestore);

    const preflight = planningTask(
      this,
      'Preflight',
      f.preflight,
      'PreflightFailed',
      'Validates the input and decides what to restore; creates nothing.',
    );
    preflight.next(
      new sfn.Choice(this, 'Mode?')
        .when(sfn.Condition.stringEquals('$.plan.mode', 'point-in-time'), countSource)
        .otherwise(noSourceCounts),
    );

    return workflowStateMachine(this, {
      ...props,
      name,
      comment: `authdb-dr ${props.environment}: DR drill (restore, verify, report, clean up)`,
      start: preflight,
      timeout: props.maxWait.plus(SOURCE_RESTORABLE_WAIT).plus(Duration.minutes(45)),
      invokes: Object.values(f),
    });
  }
}
