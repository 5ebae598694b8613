import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { CUTOVER_SUFFIX, RESTORED_INFIX } from '../../lambda/shared/restore-input.js';
import { PURPOSE_RESTORED, TAG_PURPOSE } from '../../lambda/shared/tags.js';
import type { AuthDatabase } from './auth-database.js';
import { unsuccessfulExecutions } from './drill-alarms.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeInlinePolicy, acknowledgeWildcard } from './nag.js';
import { DESTRUCTIVE_RDS_ACTIONS, denyDestructiveOn, rdsArn } from './rds-guard.js';
import {
  invoke as invokeLambda,
  planningTask,
  recordError,
  setNull,
  workflowFunctions,
  workflowStateMachine,
} from './workflow-parts.js';

/** How long a rename may take before the cutover gives up (and rolls back). */
const RENAME_WAIT = Duration.minutes(30);

export interface RestoreWorkflowProps {
  readonly environment: string;
  readonly database: AuthDatabase;
  /** The database key: restores, Performance Insights and the new master secret use it; it encrypts logs too. */
  readonly key: kms.IKey;
  /** The DR-region key that encrypts replicated automated backups (a cross-region reference). */
  readonly drKey: kms.IKey;
  readonly drRegion: string;
  readonly replicatedBackupRetention: Duration;
  readonly allowedInstanceClasses: string[];
  /** Every class an instance the cutover renames may have (the source's and the allowed restore classes). */
  readonly cutoverInstanceClasses: string[];
  /** The largest storage an instance here may have (storage autoscaling's maximum): a rename never exceeds it. */
  readonly maxStorageGiB: number;
  /** How a cutover is guarded: a data-loss acknowledgement for old recovery points. */
  readonly cutover: {
    /** A cutover to a recovery point older than this needs `cutover.acceptDataLossHours` in the input. */
    readonly dataLossAcknowledgementAfter: Duration;
  };
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  /** The drill's building blocks this workflow shares: one look at an instance, and the row-count verifier. */
  readonly statusFunction: LambdaFunction;
  readonly verifierFunction: LambdaFunction;
  readonly maxWait: Duration;
  readonly poll: Duration;
  readonly rtoTarget: Duration;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The restore workflow an operator starts during an incident: validate everything first, restore into a NEW
 * instance with production settings, apply what the restore API cannot set, verify it like a drill, report, and
 * only with an explicit confirmation rename it into the source's place (rolling back if that fails). A restored
 * instance is never deleted by this workflow.
 */
export class RestoreWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Rolls back the cutover of a restore execution that ended with no Catch (aborted, timed out). */
  readonly rollBackStateMachine: sfn.StateMachine;
  /** Every unsuccessful restore and every roll-back that could not converge, to the alert topic. */
  readonly alarms: Record<'RestoreUnsuccessful' | 'RollBackUnsuccessful', cloudwatch.Alarm>;
  readonly functions: Record<'validate' | 'start' | 'finish' | 'cutover' | 'report', LambdaFunction>;
  /** The only role that may rename the production instance. */
  readonly cutoverRole: iam.IRole;
  /** Executions of the restore state machine (the cutover checks that one of them is its caller). */
  readonly executionsArn: string;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const db = props.database;
    const sourceId = db.instanceIdentifier;
    const productionArn = db.instance.instanceArn;
    const anyInstance = rdsArn(this, 'db', '*');
    // Restored instances are named <source>-restored…: the only names the restore roles may create, tag or change.
    const restoredInstances = rdsArn(this, 'db', `${sourceId}${RESTORED_INFIX}*`);
    const restoredTagged = { StringEquals: { [`aws:ResourceTag/${TAG_PURPOSE}`]: PURPOSE_RESTORED } };
    const restoredRequested = { StringEquals: { [`aws:RequestTag/${TAG_PURPOSE}`]: PURPOSE_RESTORED } };

    // Built from the fixed name: the cutover function checks its caller against it, and the machine invokes it.
    const stateMachineName = `authdb-dr-${props.environment}-restore`;
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.executionsArn = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const fn = workflowFunctions(this, props);
    const validate = fn('restore-validate', 'restore input validation (before anything is created)', {
      environment: {
        SOURCE_INSTANCE_ID: sourceId,
        ALLOWED_INSTANCE_CLASSES: JSON.stringify(props.allowedInstanceClasses),
        DATA_LOSS_ACK_AFTER_HOURS: String(props.cutover.dataLossAcknowledgementAfter.toMinutes() / 60),
      },
    });
    const start = fn('restore-start', 'restore into a new instance with production settings');
    const finish = fn('restore-finish', 'restore follow-up settings and failure tagging', {
      environment: {
        DR_REGION: props.drRegion,
        DR_KEY_ARN: props.drKey.keyArn,
        REPLICATION_RETENTION_DAYS: String(props.replicatedBackupRetention.toDays()),
      },
    });
    const cutover = fn('restore-cutover', 'restore cutover (renames source and restored instance)', {
      environment: { SOURCE_INSTANCE_ID: sourceId, STATE_MACHINE_ARN: stateMachineArn },
    });
    const report = fn('restore-report', 'restore report (S3, metrics, SNS)', {
      environment: {
        REPORT_BUCKET: props.reportBucket.bucketName,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        RTO_TARGET_SECONDS: String(props.rtoTarget.toSeconds()),
      },
    });
    this.functions = { validate, start, finish, cutover, report };
    this.cutoverRole = cutover.role;

    // Only the cutover role may touch production, and even it can never delete, reboot or stop anything.
    for (const f of [validate, start, finish, report]) {
      f.role.addToPolicy(denyDestructiveOn(productionArn));
      // Nobody but the cutover touches production; not even its tags (a restored tag would open other grants).
      f.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'NeverTagProduction',
          effect: iam.Effect.DENY,
          actions: ['rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
          resources: [productionArn, rdsArn(this, 'db', `${sourceId}${CUTOVER_SUFFIX}*`)],
        }),
      );
    }
    cutover.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'NeverDeleteRebootOrStop',
        effect: iam.Effect.DENY,
        actions: DESTRUCTIVE_RDS_ACTIONS.filter((a) => a !== 'rds:ModifyDBInstance'),
        resources: ['*'],
      }),
    );
    const describe = new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [anyInstance] });
    for (const f of [validate, start, finish, cutover]) f.role.addToPolicy(describe);
    validate.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBInstanceAutomatedBackups'],
        resources: [productionArn, rdsArn(this, 'snapshot', '*'), rdsArn(this, 'auto-backup', '*')],
      }),
    );
    start.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RestoreIntoNewTaggedInstances',
        actions: ['rds:RestoreDBInstanceToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot'],
        resources: [
          restoredInstances,
          productionArn,
          rdsArn(this, 'snapshot', '*'),
          rdsArn(
            this,
            'subgrp',
            (db.subnetGroup.node.defaultChild as import('aws-cdk-lib/aws-rds').CfnDBSubnetGroup).ref,
          ),
          rdsArn(this, 'pg', db.parameterGroupName),
          rdsArn(this, 'og', 'default:postgres-15'),
        ],
        conditions: restoredRequested,
      }),
    );
    start.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagRestoredInstancesOnCreate',
        actions: ['rds:AddTagsToResource'],
        resources: [restoredInstances],
        conditions: restoredRequested,
      }),
    );
    start.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RdsManagedMasterSecret',
        actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
        resources: [
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: 'rds!*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    // Only through RDS (and Secrets Manager, for the master secret RDS creates): the roles cannot decrypt or hand
    // out grants on the database key directly.
    const keyServices = ['rds', 'secretsmanager'].map((s) => `${s}.${stack.region}.amazonaws.com`);
    for (const f of [start, finish]) {
      f.role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [props.key.keyArn] }));
      f.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'LetRdsUseTheDatabaseKey',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': keyServices } },
        }),
      );
      f.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'LetRdsGrantItselfTheDatabaseKey',
          actions: ['kms:CreateGrant'],
          resources: [props.key.keyArn],
          conditions: {
            Bool: { 'kms:GrantIsForAWSResource': 'true' },
            StringEquals: { 'kms:ViaService': keyServices },
          },
        }),
      );
    }
    finish.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ConfigureRestoredInstancesOnly',
        actions: ['rds:ModifyDBInstance', 'rds:AddTagsToResource', 'rds:StartDBInstanceAutomatedBackupsReplication'],
        resources: [restoredInstances],
        conditions: restoredTagged,
      }),
    );
    finish.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [db.monitoringRole.roleArn] }),
    );
    finish.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReplicateIntoTheDrRegion',
        actions: ['rds:StartDBInstanceAutomatedBackupsReplication'],
        resources: [
          Stack.of(this).formatArn({
            service: 'rds',
            region: props.drRegion,
            resource: 'auto-backup',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    finish.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [props.drKey.keyArn],
      }),
    );
    cutover.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RenameSourceOrRestored',
        actions: ['rds:ModifyDBInstance'],
        resources: [productionArn, rdsArn(this, 'db', `${sourceId}${CUTOVER_SUFFIX}*`)],
      }),
    );
    for (const statement of renameOnly(this, props)) cutover.role.addToPolicy(statement);
    cutover.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CheckTheCallingExecution',
        actions: ['states:DescribeExecution'],
        resources: [this.executionsArn],
      }),
    );
    cutover.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RenameRestoredInstances',
        actions: ['rds:ModifyDBInstance'],
        resources: [restoredInstances],
        conditions: restoredTagged,
      }),
    );
    report.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.reportBucket.arnForObjects('restores/*')],
      }),
    );
    report.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [props.key.keyArn] }),
    );
    props.alertTopic.grantPublish(report.role);

    this.stateMachine = this.buildStateMachine(stateMachineName, props);
    this.rollBackStateMachine = this.buildRollBack(props);
    this.acknowledge(props, sourceId);

    const alarm = (id: keyof RestoreWorkflow['alarms'], sm: sfn.IStateMachine, description: string) => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmName: `authdb-dr-${props.environment}-restore-${id}`,
        alarmDescription: `authdb-dr ${props.environment}: ${description}`,
        metric: unsuccessfulExecutions(sm, description),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new cloudwatchActions.SnsAction(props.alertTopic));
      return a;
    };
    this.alarms = {
      RestoreUnsuccessful: alarm(
        'RestoreUnsuccessful',
        this.stateMachine,
        'a restore execution failed, timed out or was aborted; check which instance holds the production name',
      ),
      RollBackUnsuccessful: alarm(
        'RollBackUnsuccessful',
        this.rollBackStateMachine,
        'a cutover roll-back did not converge: the production name may be free; rename by hand (README, Cutover)',
      ),
    };
  }

  /**
   * A Catch cannot see an aborted or timed-out execution: EventBridge starts this machine for those, and it runs
   * the same roll-back as the restore machine's Catch (the function reads the ended execution itself).
   */
  private buildRollBack(props: RestoreWorkflowProps): sfn.StateMachine {
    const scope = new Construct(this, 'RollBack');
    const rollBack = rollBackTask(scope, 'RollBackEndedCutover', this.functions.cutover, {
      action: 'roll-back-ended',
      'executionArn.$': '$.detail.executionArn',
    });
    rollBack.addCatch(
      new sfn.Fail(scope, 'ProductionNameMayBeFree', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      {
        resultPath: '$.error',
      },
    );
    rollBack.next(new sfn.Succeed(scope, 'ProductionNameHeld'));
    const machine = workflowStateMachine(scope, {
      ...props,
      name: `authdb-dr-${props.environment}-restore-rollback`,
      comment: `authdb-dr ${props.environment}: roll back the cutover of an aborted or timed-out restore`,
      start: rollBack,
      timeout: Duration.hours(1),
      invokes: [this.functions.cutover],
    });
    const eventsRole = new iam.Role(scope, 'EventsRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `authdb-dr ${props.environment}: starts the cutover roll-back of an aborted restore`,
    });
    acknowledgeInlinePolicy(eventsRole);
    new events.Rule(this, 'RollBackAfterAbnormalEnd', {
      description: `authdb-dr ${props.environment}: roll back the cutover of a restore that was aborted or timed out`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: ['TIMED_OUT', 'ABORTED'], stateMachineArn: [this.stateMachine.stateMachineArn] },
      },
      targets: [new eventsTargets.SfnStateMachine(machine, { retryAttempts: 8, role: eventsRole })],
    });
    return machine;
  }

  private acknowledge(props: RestoreWorkflowProps, sourceId: string): void {
    const stack = Stack.of(this);
    const f = this.functions;
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const at = (resource: string, name: string, region = stack.region) =>
      `Resource::arn:${partition}:rds:${region}:${stack.account}:${resource}:${name}`;
    const anyDb = 'DescribeDBInstances without an identifier (listing) needs db:*; it reads metadata only.';
    for (const fn of [f.validate, f.start, f.finish, f.cutover]) acknowledgeWildcard(fn.role, at('db', '*'), anyDb);
    const restoredDb =
      `Restored instances are named ${sourceId}${RESTORED_INFIX}… by rule (the input is validated): the pattern is ` +
      'the guard, together with the restored tag (request or resource condition).';
    for (const fn of [f.start, f.finish, f.cutover]) {
      acknowledgeWildcard(fn.role, at('db', `${sourceId}${RESTORED_INFIX}*`), restoredDb);
    }
    const snapshots = 'Snapshots and recovery points of the source have generated names; restoring only reads one.';
    for (const fn of [f.validate, f.start]) acknowledgeWildcard(fn.role, at('snapshot', '*'), snapshots);
    acknowledgeWildcard(f.validate.role, at('auto-backup', '*'), 'Automated-backup ids are generated; read-only.');
    acknowledgeWildcard(
      f.finish.role,
      at('auto-backup', '*', props.drRegion),
      'The replicated automated backups get a generated id in the DR region.',
    );
    acknowledgeWildcard(
      f.start.role,
      `Resource::arn:${partition}:secretsmanager:${stack.region}:${stack.account}:secret:rds!*`,
      'RDS names the master secret it creates rds!db-<id>; only such secrets can be created.',
    );
    acknowledgeWildcard(
      f.cutover.role,
      at('db', `${sourceId}${CUTOVER_SUFFIX}*`),
      'The source under its pre-restore name, so a failed cutover can give it its name back.',
    );
    acknowledgeWildcard(
      f.cutover.role,
      `Resource::arn:${partition}:states:${stack.region}:${stack.account}:execution:authdb-dr-${props.environment}-restore:*`,
      "Executions of the restore state machine (generated names): the cutover reads its caller's, read-only.",
    );
    acknowledgeWildcard(
      f.cutover.role,
      'Resource::*',
      'An explicit Deny of delete, reboot and stop on every instance; it grants nothing.',
    );
    acknowledgeWildcard(
      f.report.role,
      `Resource::<${stack.getLogicalId(props.reportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/restores/*`,
      'Objects under the restores/ prefix of the report bucket, one a restore execution.',
    );
    acknowledgeWildcard(
      f.report.role,
      'Action::kms:GenerateDataKey*',
      "CDK's grant to publish to the encrypted alert topic: the topic key only.",
    );
  }

  private buildStateMachine(stateMachineName: string, props: RestoreWorkflowProps): sfn.StateMachine {
    const f = this.functions;
    const invoke = (id: string, fn: LambdaFunction, payload: Record<string, unknown> | undefined, resultPath: string) =>
      invokeLambda(this, id, fn, payload, resultPath);
    const failWith = (id: string, error: string, cause: string) => recordError(this, id, error, cause);
    const status = (id: string, instanceId: string, since: string, maxWait: Duration, renaming = false) =>
      invoke(
        id,
        props.statusFunction,
        {
          'instanceId.$': instanceId,
          'since.$': since,
          maxWaitSeconds: maxWait.toSeconds(),
          ...(renaming ? { missingIsPending: true } : {}),
        },
        '$.target',
      );

    // The end: report, then succeed or fail with the original error.
    const outcome = new sfn.Choice(this, 'Outcome')
      .when(
        sfn.Condition.isPresent('$.error'),
        new sfn.Fail(this, 'RestoreFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
      )
      .otherwise(new sfn.Succeed(this, 'RestoreSucceeded'));
    const report = invoke('Report', f.report, undefined, '$.report');
    report.addCatch(new sfn.Pass(this, 'ReportFailed').next(outcome), { resultPath: '$.reportError' });
    report.next(outcome);

    // A failed restore keeps its instance (it may be the only copy): it is tagged as failed and reported.
    const markFailed = invoke(
      'MarkFailed',
      f.finish,
      { action: 'mark-failed', 'plan.$': '$.plan', 'error.$': '$.error' },
      '$.marked',
    );
    markFailed.addCatch(report, { resultPath: '$.markError' });
    markFailed.next(report);
    const catchAll = <T extends tasks.LambdaInvoke>(task: T): T => {
      task.addCatch(markFailed, { resultPath: '$.error' });
      return task;
    };
    const waitLoop = (
      name: string,
      check: tasks.LambdaInvoke,
      ready: sfn.Condition,
      next: sfn.IChainable,
      onFailure: sfn.IChainable,
      what: string,
      maxWait: Duration,
    ) => {
      const wait = new sfn.Wait(this, `WaitFor${name}`, { time: sfn.WaitTime.duration(props.poll) });
      wait.next(check);
      check.next(
        new sfn.Choice(this, `${name}?`)
          .when(ready, next)
          .when(
            sfn.Condition.booleanEquals('$.target.failed', true),
            failWith(
              `${name}Failed`,
              'RestoreFailed',
              `States.Format('${what}: instance {} is {}', $.target.instanceId, $.target.status)`,
            ).next(onFailure),
          )
          .when(
            sfn.Condition.booleanEquals('$.target.timedOut', true),
            failWith(
              `${name}TimedOut`,
              'RestoreTimedOut',
              `States.Format('${what}: instance {} still {} after ${maxWait.toMinutes()} minutes', $.target.instanceId, $.target.status)`,
            ).next(onFailure),
          )
          .otherwise(wait),
      );
      return wait;
    };

    // Cutover: rename the source aside, then the restored instance into its place; roll back if that fails.
    // Every failure after the first rename converges on the production name being held again (see rollBackTask).
    const rollBack = rollBackTask(this, 'RollBackSourceName', f.cutover, {
      action: 'roll-back',
      'plan.$': '$.plan',
    });
    rollBack.addCatch(
      new sfn.Pass(this, 'RollBackFailed', {
        parameters: {
          Error: 'RollBackFailed',
          'Cause.$':
            "States.Format('The production name may be free: {} (after {})', $.rollBackError.Cause, $.error.Cause)",
        },
        resultPath: '$.error',
      }).next(markFailed),
      { resultPath: '$.rollBackError' },
    );
    rollBack.next(markFailed);
    const checkTargetRenamed = status(
      'CheckTargetRenamed',
      '$.plan.sourceInstanceId',
      '$.renameTarget.at',
      RENAME_WAIT,
      true,
    );
    checkTargetRenamed.addCatch(rollBack, { resultPath: '$.error' });
    const waitTargetRenamed = waitLoop(
      'TargetRenamed',
      checkTargetRenamed,
      sfn.Condition.booleanEquals('$.target.available', true),
      report,
      rollBack,
      'renaming the restored instance',
      RENAME_WAIT,
    );
    const renameTarget = invoke(
      'RenameTarget',
      f.cutover,
      { action: 'rename-target', 'plan.$': '$.plan' },
      '$.renameTarget',
    );
    renameTarget.addRetry({ errors: ['TargetInUse'], interval: Duration.seconds(30), maxAttempts: 20, backoffRate: 1 });
    renameTarget.addCatch(rollBack, { resultPath: '$.error' });
    renameTarget.next(waitTargetRenamed);
    const checkSourceRenamed = status(
      'CheckSourceRenamed',
      '$.plan.preRestoreInstanceId',
      '$.renameSource.at',
      RENAME_WAIT,
      true,
    );
    checkSourceRenamed.addCatch(rollBack, { resultPath: '$.error' });
    const waitSourceRenamed = waitLoop(
      'SourceRenamed',
      checkSourceRenamed,
      sfn.Condition.booleanEquals('$.target.available', true),
      renameTarget,
      rollBack,
      'renaming the source aside',
      RENAME_WAIT,
    );
    const renameSource = invoke(
      'RenameSource',
      f.cutover,
      { action: 'rename-source', 'plan.$': '$.plan' },
      '$.renameSource',
    );
    // Its own failure too: the rename may have been applied even when the call reports an error.
    renameSource.addCatch(rollBack, { resultPath: '$.error' });
    renameSource.next(waitSourceRenamed);
    const cutoverChoice = new sfn.Choice(this, 'Cutover?')
      .when(sfn.Condition.booleanEquals('$.plan.cutover', true), renameSource)
      .otherwise(report);

    // Verify like a drill: counts of the restored instance against the source as of the recovery point.
    const verify = catchAll(
      invoke(
        'Verify',
        props.verifierFunction,
        { action: 'verify', 'plan.$': '$.plan', 'scratch.$': '$.target', 'sourceCounts.$': '$.sourceCounts' },
        '$.verification',
      ),
    );
    verify.next(
      new sfn.Choice(this, 'Complete?')
        .when(sfn.Condition.booleanEquals('$.verification.complete', true), cutoverChoice)
        .otherwise(failWith('Incomplete', 'VerificationFailed', '$.verification.summary').next(markFailed)),
    );
    const noSourceCounts = setNull(this, 'NoSourceCounts', '$.sourceCounts');
    noSourceCounts.next(verify);
    const countSource = invoke(
      'CountSource',
      props.verifierFunction,
      { action: 'count-source', 'plan.$': '$.plan', 'settleBefore.$': '$.restore.asOf' },
      '$.sourceCounts',
    );
    // An unreachable source (the incident) is not a failure: the counts are then reported without comparison.
    countSource.addCatch(noSourceCounts, { resultPath: '$.sourceCountError' });
    countSource.next(verify);
    const sourceReachable = new sfn.Choice(this, 'SourceReachable?')
      .when(sfn.Condition.isNull('$.plan.source'), noSourceCounts)
      .otherwise(countSource);

    // What the restore API cannot set, applied once the instance is available, and waited for.
    const checkSettings = catchAll(
      status('CheckSettings', '$.plan.targetInstanceId', '$.settings.appliedAt', props.maxWait),
    );
    const waitSettings = waitLoop(
      'Settings',
      checkSettings,
      sfn.Condition.booleanEquals('$.target.settled', true),
      sourceReachable,
      markFailed,
      'applying settings',
      props.maxWait,
    );
    const applySettings = catchAll(
      invoke('ApplySettings', f.finish, { action: 'apply-settings', 'plan.$': '$.plan' }, '$.settings'),
    );
    applySettings.next(waitSettings);

    const checkTarget = catchAll(
      status('CheckTarget', '$.plan.targetInstanceId', '$.restore.requestedAt', props.maxWait),
    );
    const waitTarget = waitLoop(
      'Target',
      checkTarget,
      sfn.Condition.booleanEquals('$.target.available', true),
      applySettings,
      markFailed,
      'restoring',
      props.maxWait,
    );
    const startRestore = catchAll(invoke('StartRestore', f.start, { 'plan.$': '$.plan' }, '$.restore'));
    startRestore.next(waitTarget);

    const validate = planningTask(
      this,
      'Validate',
      f.validate,
      'RestoreRejected',
      'Checks the whole input against AWS before anything is created.',
    );
    validate.next(startRestore);

    return workflowStateMachine(this, {
      ...props,
      name: stateMachineName,
      comment: `authdb-dr ${props.environment}: restore into a new instance, verify, report, optional cutover`,
      start: validate,
      timeout: Duration.minutes(2 * props.maxWait.toMinutes() + 2 * RENAME_WAIT.toMinutes() + 60),
      invokes: [...Object.values(this.functions), props.statusFunction, props.verifierFunction],
    });
  }
}

/** Seconds between two looks while a roll-back waits for the production name to settle. */
const ROLL_BACK_INTERVAL = Duration.seconds(30);

/**
 * The roll-back step: the cutover function converges on the production name being held (renaming the original back
 * when the name is free) and reports NameNotSettled / TargetInUse until then. It retries every error but a refusal
 * (a caller or input it does not accept will not change), for longer than a rename takes.
 */
export function rollBackTask(
  scope: Construct,
  id: string,
  fn: LambdaFunction,
  payload: Record<string, unknown>,
): tasks.LambdaInvoke {
  const task = invokeLambda(scope, id, fn, payload, '$.rollBack');
  task.addRetry({ errors: ['NotCalledByRestore', 'InvalidInput'], maxAttempts: 0 });
  task.addRetry({
    errors: ['States.ALL'],
    interval: ROLL_BACK_INTERVAL,
    maxAttempts: Math.ceil(RENAME_WAIT.toSeconds() / ROLL_BACK_INTERVAL.toSeconds()) + 10,
    backoffRate: 1,
  });
  return task;
}

/**
 * What the cutover role may do to an instance it can modify: rename it, nothing else, as far as RDS has condition
 * keys (see the README, "What the cutover role cannot do"). ModifyDBInstance authorizes a new parameter, option or
 * subnet group on that group's ARN, so denying the action on every group denies changing them; a request that
 * manages the master password carries rds:ManageMasterUserPassword; class and storage are the instance's keys.
 */
function renameOnly(scope: Construct, props: RestoreWorkflowProps): iam.PolicyStatement[] {
  const deny = (sid: string, resources: string[], conditions?: Record<string, unknown>) =>
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      actions: ['rds:ModifyDBInstance'],
      resources,
      ...(conditions ? { conditions } : {}),
    });
  return [
    deny(
      'NeverSwapGroups',
      ['pg', 'og', 'subgrp', 'secgrp'].map((type) => rdsArn(scope, type, '*')),
    ),
    deny('NeverChangeTheMasterPassword', ['*'], { Null: { 'rds:ManageMasterUserPassword': 'false' } }),
    deny('NeverChangeTheInstanceClass', ['*'], {
      Null: { 'rds:DatabaseClass': 'false' },
      StringNotEquals: { 'rds:DatabaseClass': props.cutoverInstanceClasses },
    }),
    deny('NeverGrowStorage', ['*'], { NumericGreaterThan: { 'rds:StorageSize': props.maxStorageGiB } }),
    deny('NeverUnencrypt', ['*'], { Bool: { 'rds:StorageEncrypted': 'false' } }),
  ];
}
