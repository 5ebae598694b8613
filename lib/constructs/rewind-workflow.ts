import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { stateMachineName } from '../../contract/names.js';
import { type AuthDatabase, POSTGRES_PORT } from './auth-database.js';
import type { DelayedReplica } from './delayed-replica.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeWildcard } from './nag.js';
import { denyDestructiveOn, rdsArn } from './rds-guard.js';
import { REWIND_RENAME_WAIT, RewindCutover } from './rewind-cutover.js';
import { setNull, workflowFunctions, workflowStateMachine } from './workflow-parts.js';

/** Dry-run estimates (README, bench/rewind.bench.ts): RDS reboot and promotion times are AWS's, not ours. */
const REBOOT_ESTIMATE_SECONDS = 180;
const PROMOTE_ESTIMATE_SECONDS = 300;
/** Replay speed assumed for the estimate; bench/rewind.bench.ts measures it on this machine. */
const REPLAY_BYTES_PER_SECOND = 20 * 1024 * 1024;

export interface RewindWorkflowProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  /** Production: named in the report and protected by an explicit deny. */
  readonly database: AuthDatabase;
  readonly replica: DelayedReplica;
  readonly key: kms.IKey;
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  readonly databaseName: string;
  readonly replayControlRole: string;
  readonly verifierRole: string;
  readonly tables: { name: string; timeColumn?: string; tolerance: number }[];
  readonly concurrency: number;
  readonly margin: Duration;
  readonly poll: Duration;
  readonly replayTimeout: Duration;
  readonly promoteTimeout: Duration;
  /** Automated backups of the promoted instance. */
  readonly backupRetention: Duration;
  readonly rtoTarget: Duration;
  /** The restore's guarded cutover, which a confirmed rewind hands the promoted replica over to. */
  readonly cutover: {
    readonly function: LambdaFunction;
    readonly rollBackStateMachine: sfn.IStateMachine;
    /** Two-person rule: the restore's approval function and timeout (see RewindCutoverProps.approval). */
    readonly approval?: { readonly function: LambdaFunction; readonly timeout: Duration };
  };
  /** Looks at an instance by name while the cutover renames (the drill's instance-status function). */
  readonly statusFunction: LambdaFunction;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The rewind for bad writes: freeze the delayed replica's replay at once, refuse when it has already replayed past
 * the incident time T, otherwise set a recovery target just before T, reboot the replica so it replays to it, promote
 * it, verify it and report. The functions take the replica and its parameter group from their own configuration.
 */
export class RewindWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'control' | 'replay' | 'report', LambdaFunction>;
  readonly replaySecurityGroup: ec2.SecurityGroup;
  readonly handover: RewindCutover;

  constructor(scope: Construct, id: string, props: RewindWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const replica = props.replica;
    const fn = workflowFunctions(this, props);

    const control = fn('rewind-control', 'rewind: parameter group, reboot and promotion of the delayed replica', {
      environment: {
        REPLICA_INSTANCE_ID: replica.instanceIdentifier,
        REPLICA_PARAMETER_GROUP: replica.parameterGroupName,
        BACKUP_RETENTION_DAYS: String(props.backupRetention.toDays()),
        REBOOT_TIMEOUT_SECONDS: String(props.promoteTimeout.toSeconds()),
        REPLAY_TIMEOUT_SECONDS: String(props.replayTimeout.toSeconds()),
        PROMOTE_TIMEOUT_SECONDS: String(props.promoteTimeout.toSeconds()),
        PRODUCTION_INSTANCE_ID: props.database.instanceIdentifier,
      },
    });

    this.replaySecurityGroup = new ec2.SecurityGroup(this, 'ReplaySecurityGroup', {
      vpc: props.vpc,
      description: 'authdb rewind: PostgreSQL to the delayed replica only',
      allowAllOutbound: false,
    });
    this.replaySecurityGroup.addEgressRule(replica.securityGroup, ec2.Port.tcp(POSTGRES_PORT), 'delayed replica');
    replica.allowConnectionsFrom(this.replaySecurityGroup, 'rewind (replay-control and verifier roles)');
    const replay = fn('rewind-replay', 'rewind: pause and check replay, verify the promoted replica (TLS, IAM auth)', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.replaySecurityGroup],
      // Verification counts every configured table.
      timeout: Duration.minutes(5),
      environment: {
        REPLICA_HOST: replica.instance.dbInstanceEndpointAddress,
        REPLICA_PORT: replica.instance.dbInstanceEndpointPort,
        DATABASE_NAME: props.databaseName,
        REPLAY_CONTROL_USER: props.replayControlRole,
        VERIFIER_USER: props.verifierRole,
        TABLES: JSON.stringify(props.tables),
        CONCURRENCY: String(props.concurrency),
        MARGIN_SECONDS: String(props.margin.toSeconds()),
        REPLAY_BYTES_PER_SECOND: String(REPLAY_BYTES_PER_SECOND),
        REBOOT_ESTIMATE_SECONDS: String(REBOOT_ESTIMATE_SECONDS),
        PROMOTE_ESTIMATE_SECONDS: String(PROMOTE_ESTIMATE_SECONDS),
      },
    });
    const report = fn('rewind-report', 'rewind report (S3, metrics, SNS)', {
      environment: {
        REPORT_BUCKET: props.reportBucket.bucketName,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        RTO_TARGET_SECONDS: String(props.rtoTarget.toSeconds()),
        MARGIN_SECONDS: String(props.margin.toSeconds()),
        PRODUCTION_INSTANCE_ID: props.database.instanceIdentifier,
      },
    });
    this.functions = { control, replay, report };
    this.grant(props, stack);

    const name = stateMachineName(props.environment, 'rewind');
    this.handover = new RewindCutover(this, 'Cutover', {
      environment: props.environment,
      cutover: props.cutover.function,
      rollBackStateMachine: props.cutover.rollBackStateMachine,
      statusFunction: props.statusFunction,
      replica,
      rewindStateMachineName: name,
      poll: props.poll,
      planFunction: control,
      ...(props.cutover.approval ? { approval: props.cutover.approval } : {}),
    });
    this.stateMachine = workflowStateMachine(this, {
      ...props,
      name,
      comment:
        'Rewind the delayed replica to just before the incident time T (input {"incidentTime": "...", "dryRun": false}), promote and verify it',
      start: this.definition(props),
      timeout: props.replayTimeout
        .plus(props.promoteTimeout)
        .plus(props.promoteTimeout)
        .plus(REWIND_RENAME_WAIT)
        .plus(REWIND_RENAME_WAIT)
        .plus(props.poll)
        .plus(props.cutover.approval?.timeout ?? Duration.seconds(0)),
      invokes: [
        control,
        replay,
        report,
        props.cutover.function,
        props.statusFunction,
        ...(props.cutover.approval ? [props.cutover.approval.function] : []),
      ],
    });
  }

  /** Least privilege: control touches only the replica and its parameter group; replay only logs in to the replica. */
  private grant(props: RewindWorkflowProps, stack: Stack): void {
    const { control, replay, report } = this.functions;
    const replicaArn = props.replica.instance.instanceArn;
    control.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RebootPromoteAndDescribeTheDelayedReplicaOnly',
        actions: ['rds:RebootDBInstance', 'rds:PromoteReadReplica', 'rds:DescribeDBInstances'],
        resources: [replicaArn],
      }),
    );
    control.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SetTheRecoveryTargetOfTheDelayedReplicaOnly',
        actions: ['rds:ModifyDBParameterGroup'],
        resources: [rdsArn(this, 'pg', props.replica.parameterGroupName)],
      }),
    );
    control.role.addToPolicy(denyDestructiveOn(props.database.instance.instanceArn));
    const dbUser = (user: string) =>
      stack.formatArn({
        service: 'rds-db',
        resource: 'dbuser',
        resourceName: `${props.replica.resourceId}/${user}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    replay.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ConnectToTheDelayedReplicaAsReplayControlOrVerifier',
        actions: ['rds-db:connect'],
        resources: [dbUser(props.replayControlRole), dbUser(props.verifierRole)],
      }),
    );
    report.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.reportBucket.arnForObjects('rewinds/*')],
      }),
    );
    report.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [props.key.keyArn] }),
    );
    props.alertTopic.grantPublish(report.role);
    acknowledgeWildcard(
      report.role,
      `Resource::<${stack.getLogicalId(props.reportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/rewinds/*`,
      'One report object per rewind execution, under the rewinds/ prefix only.',
    );
    acknowledgeWildcard(
      report.role,
      'Action::kms:GenerateDataKey*',
      "CDK's grant to publish to the encrypted alert topic: the topic key only.",
    );
  }

  private definition(props: RewindWorkflowProps): sfn.IChainable {
    const { control, replay, report } = this.functions;
    const call = (id: string, f: LambdaFunction, payload: Record<string, unknown>, resultPath: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: f.function,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
      });
    const T = { 'incidentTime.$': '$.plan.incidentTime' };
    const wait = (id: string) => new sfn.Wait(this, id, { time: sfn.WaitTime.duration(props.poll) });
    const reportPayload = {
      'plan.$': '$.plan',
      'steps.$': '$.steps',
      'error.$': '$.error',
      'execution.$': '$$.Execution',
    };

    const plan = new tasks.LambdaInvoke(this, 'Plan', {
      lambdaFunction: control.function,
      payload: sfn.TaskInput.fromObject({ action: 'plan', 'input.$': '$', 'execution.$': '$$.Execution' }),
      payloadResponseOnly: true,
      resultSelector: { 'plan.$': '$' },
      comment: 'Validates the input before anything changes (a cutover must name the production instance)',
    });
    plan.addCatch(new sfn.Fail(this, 'InvalidInput', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
      resultPath: '$.error',
    });
    const initSteps = new sfn.Pass(this, 'InitSteps', {
      result: sfn.Result.fromObject({
        frozen: null,
        target: null,
        reboot: null,
        reached: null,
        promote: null,
        promoted: null,
        verification: null,
        renameSource: null,
        renameTarget: null,
        cutOver: null,
        rollBack: null,
      }),
      resultPath: '$.steps',
    });

    const dryRun = call('DryRun', replay, { action: 'dryRun', ...T }, '$.dryRun');
    const dryRunDone = new sfn.Succeed(this, 'DryRunDone', { outputPath: '$.dryRun' });

    const freeze = call('Freeze', replay, { action: 'freeze', ...T }, '$.steps.frozen');
    const setTarget = call('SetRecoveryTarget', control, { action: 'setTarget', ...T }, '$.steps.target');
    const parameters = call(
      'ParametersPendingReboot',
      control,
      { action: 'parameters', 'since.$': '$.steps.target.at' },
      '$.parameters',
    );
    const reboot = call('Reboot', control, { action: 'reboot' }, '$.steps.reboot');
    const rebootStatus = call(
      'RebootStatus',
      control,
      { action: 'status', expect: 'replica', 'since.$': '$.steps.reboot.at' },
      '$.status',
    );
    const checkTarget = call(
      'CheckRecoveryTarget',
      replay,
      { action: 'checkTarget', ...T, 'frozenAt.$': '$.steps.frozen.frozenAt' },
      '$.progress',
    );
    // Right after the reboot the replica may refuse connections for a while: a plain Error is retried.
    checkTarget.addRetry({ errors: ['Error'], interval: props.poll, maxAttempts: 6, backoffRate: 1 });
    const replayDeadline = call(
      'ReplayDeadline',
      control,
      { action: 'replayDeadline', 'since.$': '$.steps.reboot.at' },
      '$.replayElapsed',
    );
    const recordReached = new sfn.Pass(this, 'RecordRecoveryPoint', {
      parameters: { 'recoveryPoint.$': '$.progress.recoveryPoint', 'at.$': '$.progress.at' },
      resultPath: '$.steps.reached',
    });
    const promote = call('Promote', control, { action: 'promote' }, '$.steps.promote');
    const promotionStatus = call(
      'PromotionStatus',
      control,
      { action: 'status', expect: 'promoted', 'since.$': '$.steps.promote.at' },
      '$.status',
    );
    const recordPromoted = new sfn.Pass(this, 'RecordPromoted', {
      parameters: { 'at.$': '$.status.at' },
      resultPath: '$.steps.promoted',
    });
    const verify = call('Verify', replay, { action: 'verify', ...T }, '$.steps.verification');
    const reportSuccess = call('Report', report, reportPayload, '$.report');
    reportSuccess.next(new sfn.Succeed(this, 'Rewound', { outputPath: '$.report' }));

    const reportFailure = call('ReportFailure', report, reportPayload, '$.report');
    const failed = new sfn.Fail(this, 'RewindFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    reportFailure.addCatch(failed, { resultPath: '$.reportError' });
    reportFailure.next(failed);
    const controlTasks = [setTarget, parameters, reboot, rebootStatus, replayDeadline, promote, promotionStatus];
    for (const task of controlTasks) {
      task.addRetry({ errors: ['Throttling', 'ThrottlingException'], maxAttempts: 4, backoffRate: 2 });
    }
    for (const task of [dryRun, freeze, ...controlTasks, checkTarget, verify, reportSuccess]) {
      task.addCatch(reportFailure, { resultPath: '$.error' });
    }

    const waitForParameters = wait('WaitForParameters');
    const waitForReboot = wait('WaitForReboot');
    const waitForReplay = wait('WaitForReplay');
    const waitForPromotion = wait('WaitForPromotion');

    const promoteChain = promote.next(waitForPromotion);
    waitForPromotion
      .next(promotionStatus)
      .next(
        new sfn.Choice(this, 'Promoted?')
          .when(
            sfn.Condition.booleanEquals('$.status.ready', true),
            recordPromoted
              .next(verify)
              .next(
                new sfn.Choice(this, 'Cutover?')
                  .when(
                    sfn.Condition.booleanEquals('$.plan.cutover', true),
                    this.handover.chain(reportSuccess, reportFailure),
                  )
                  .otherwise(reportSuccess),
              ),
          )
          .otherwise(waitForPromotion),
      );
    waitForReplay.next(checkTarget);
    checkTarget.next(
      new sfn.Choice(this, 'ReachedRecoveryTarget?')
        .when(sfn.Condition.booleanEquals('$.progress.reached', true), recordReached.next(promoteChain))
        .otherwise(replayDeadline.next(waitForReplay)),
    );
    waitForReboot
      .next(rebootStatus)
      .next(
        new sfn.Choice(this, 'Rebooted?')
          .when(sfn.Condition.booleanEquals('$.status.ready', true), checkTarget)
          .otherwise(waitForReboot),
      );
    waitForParameters
      .next(parameters)
      .next(
        new sfn.Choice(this, 'PendingReboot?')
          .when(sfn.Condition.booleanEquals('$.parameters.pendingReboot', true), reboot.next(waitForReboot))
          .otherwise(waitForParameters),
      );

    return plan
      .next(initSteps)
      .next(setNull(this, 'InitError', '$.error'))
      .next(
        new sfn.Choice(this, 'DryRun?')
          .when(sfn.Condition.booleanEquals('$.plan.dryRun', true), dryRun.next(dryRunDone))
          .otherwise(freeze.next(setTarget).next(waitForParameters)),
      );
  }
}
