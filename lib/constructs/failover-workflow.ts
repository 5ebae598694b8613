import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { POSTGRES_PORT } from './auth-database.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeWildcard } from './nag.js';
import { rdsArn } from './rds-guard.js';
import { recordError, setNull, workflowFunctions, workflowStateMachine } from './workflow-parts.js';

/** Tag the failover puts on instances it creates; kept in step with lambda/failover-control. */
const PURPOSE_TAG = { key: 'authdb-dr:purpose', value: 'dr-failover' };

export interface FailoverWorkflowProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  /** Encrypts logs; restores of the replicated backups and vault copies need the keys below too. */
  readonly key: kms.IKey;
  /** Keys of this region the restores read: the replicated automated backups' and the DR vault's. */
  readonly sourceKeys: kms.IKey[];
  readonly primaryInstanceId: string;
  readonly standbyInstanceId: string;
  /** Security group of the DR-region databases (standby and restored instances). */
  readonly databaseSecurityGroup: ec2.ISecurityGroup;
  readonly subnetGroup: rds.ISubnetGroup;
  readonly parameterGroupName: string;
  readonly vault: backup.IBackupVault;
  readonly alertTopic: sns.ITopic;
  readonly reportBucket: s3.IBucket;
  readonly databaseName: string;
  readonly verifierRole: string;
  readonly tables: { name: string; timeColumn?: string; tolerance: number }[];
  readonly concurrency: number;
  readonly statementTimeout: Duration;
  readonly instanceClasses: string[];
  readonly backupRetention: Duration;
  readonly poll: Duration;
  readonly promoteTimeout: Duration;
  readonly restoreTimeout: Duration;
  readonly maxDataAge: Duration;
  readonly rtoTarget: Duration;
  readonly rpoTarget: Duration;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Region loss: make a writer in the DR region — promote the standby, or restore the replicated automated backups
 * (point in time) or a DR-vault recovery point — then verify it and report RTO by phase and RPO. Everything it calls
 * is in this region; its functions take the instance ids from their own configuration.
 */
export class FailoverWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: Record<'control' | 'verify' | 'report', LambdaFunction>;
  /** Security group of the verifier: admitted by the DR databases on PostgreSQL. */
  readonly verifierSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: FailoverWorkflowProps) {
    super(scope, id);
    const fn = workflowFunctions(this, props);
    const subnetGroupName = (props.subnetGroup.node.defaultChild as rds.CfnDBSubnetGroup).ref;
    const control = fn('failover-control', 'failover: validate, promote or restore, watch the new writer', {
      environment: {
        PRIMARY_INSTANCE_ID: props.primaryInstanceId,
        STANDBY_INSTANCE_ID: props.standbyInstanceId,
        SUBNET_GROUP: subnetGroupName,
        PARAMETER_GROUP: props.parameterGroupName,
        SECURITY_GROUP_ID: props.databaseSecurityGroup.securityGroupId,
        DR_VAULT_NAME: props.vault.backupVaultName,
        INSTANCE_CLASSES: JSON.stringify(props.instanceClasses),
        BACKUP_RETENTION_DAYS: String(props.backupRetention.toDays()),
        PROMOTE_TIMEOUT_SECONDS: String(props.promoteTimeout.toSeconds()),
        RESTORE_TIMEOUT_SECONDS: String(props.restoreTimeout.toSeconds()),
      },
    });
    this.verifierSecurityGroup = new ec2.SecurityGroup(this, 'VerifierSecurityGroup', {
      vpc: props.vpc,
      description: 'authdb failover verifier: PostgreSQL to the DR-region databases only',
      allowAllOutbound: false,
    });
    this.verifierSecurityGroup.addEgressRule(
      props.databaseSecurityGroup,
      ec2.Port.tcp(POSTGRES_PORT),
      'DR-region databases',
    );
    const verify = fn('failover-verify', 'failover: verify the new writer (TLS, IAM auth, read-only role)', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.verifierSecurityGroup],
      timeout: Duration.minutes(5),
      environment: {
        DATABASE_NAME: props.databaseName,
        VERIFIER_USER: props.verifierRole,
        TABLES: JSON.stringify(props.tables),
        CONCURRENCY: String(props.concurrency),
        STATEMENT_TIMEOUT_MS: String(props.statementTimeout.toMilliseconds()),
        MAX_DATA_AGE_SECONDS: String(props.maxDataAge.toSeconds()),
      },
    });
    const report = fn('failover-report', 'failover report (S3, metrics, SNS)', {
      environment: {
        REPORT_BUCKET: props.reportBucket.bucketName,
        ALERT_TOPIC_ARN: props.alertTopic.topicArn,
        RTO_TARGET_SECONDS: String(props.rtoTarget.toSeconds()),
        RPO_TARGET_SECONDS: String(props.rpoTarget.toSeconds()),
        DATABASE_NAME: props.databaseName,
      },
    });
    this.functions = { control, verify, report };
    this.grant(props, subnetGroupName);
    this.stateMachine = workflowStateMachine(this, {
      ...props,
      name: `authdb-dr-${props.environment}-failover`,
      comment:
        'Region loss: {"mode": "promote"|"pitr"|"recovery-point", "confirmSourceInstanceId": "<primary id>", "dryRun": true} (README: region loss)',
      start: this.definition(props),
      timeout: props.restoreTimeout.plus(Duration.minutes(30)),
      invokes: [control, verify, report],
    });
  }

  /** Least privilege, all in this region: promote only the standby, restore only into `authdb-ENV-dr-*`. */
  private grant(props: FailoverWorkflowProps, subnetGroupName: string): void {
    const stack = Stack.of(this);
    const { control, verify, report } = this.functions;
    const targets = rdsArn(this, 'db', `authdb-${props.environment}-dr-*`);
    const requested = { StringEquals: { [`aws:RequestTag/${PURPOSE_TAG.key}`]: PURPOSE_TAG.value } };
    control.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeInstancesAndReplicatedBackups',
        actions: ['rds:DescribeDBInstances', 'rds:DescribeDBInstanceAutomatedBackups'],
        resources: [rdsArn(this, 'db', '*'), rdsArn(this, 'auto-backup', '*')],
      }),
    );
    control.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PromoteTheStandbyOnly',
        actions: ['rds:PromoteReadReplica'],
        resources: [rdsArn(this, 'db', props.standbyInstanceId)],
      }),
    );
    control.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RestoreIntoNewTaggedFailoverInstances',
        actions: ['rds:RestoreDBInstanceToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot'],
        resources: [
          targets,
          rdsArn(this, 'auto-backup', '*'),
          rdsArn(this, 'snapshot', 'awsbackup:*'),
          rdsArn(this, 'subgrp', subnetGroupName),
          rdsArn(this, 'pg', props.parameterGroupName),
          rdsArn(this, 'og', 'default:postgres-15'),
        ],
        conditions: requested,
      }),
    );
    control.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TagFailoverInstancesOnCreate',
        actions: ['rds:AddTagsToResource'],
        resources: [targets],
        conditions: requested,
      }),
    );
    control.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListRecoveryPointsOfTheDrVault',
        actions: ['backup:ListRecoveryPointsByBackupVault'],
        resources: [props.vault.backupVaultArn],
      }),
    );
    control.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'KeysOfTheRestoredBackupsThroughRds',
        actions: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
        resources: props.sourceKeys.map((k) => k.keyArn),
        conditions: { StringEquals: { 'kms:ViaService': `rds.${stack.region}.amazonaws.com` } },
      }),
    );
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const at = (service: string, rest: string) => `Resource::arn:${partition}:${service}:${region}:${account}:${rest}`;
    const reason = (what: string) => `${what}; every resource is of this region and account.`;
    acknowledgeWildcard(
      control.role,
      at('rds', 'db:*'),
      reason('Describe calls name no instance in advance (the new writer is named by the input)'),
    );
    acknowledgeWildcard(
      control.role,
      at('rds', 'auto-backup:*'),
      reason('Replicated automated backups get ids RDS chooses'),
    );
    acknowledgeWildcard(
      control.role,
      at('rds', `db:authdb-${props.environment}-dr-*`),
      reason('Only instances named authdb-ENV-dr-* and tagged as failover instances on creation'),
    );
    acknowledgeWildcard(
      control.role,
      at('rds', 'snapshot:awsbackup:*'),
      reason('AWS Backup names its recovery points'),
    );
    acknowledgeWildcard(
      control.role,
      'Action::kms:GenerateDataKey*',
      reason('RDS re-encrypting the restored storage, only through RDS (kms:ViaService)'),
    );
    acknowledgeWildcard(
      control.role,
      'Action::kms:ReEncrypt*',
      reason('RDS re-encrypting the restored storage, only through RDS (kms:ViaService)'),
    );
    verify.role.addToPolicy(
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
    acknowledgeWildcard(
      verify.role,
      at('rds-db', `dbuser:*/${props.verifierRole}`),
      'The read-only verifier role on whichever instance becomes the writer (its resource id exists only then).',
    );
    report.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [props.reportBucket.arnForObjects('failovers/*')],
      }),
    );
    report.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [props.key.keyArn] }),
    );
    props.alertTopic.grantPublish(report.role);
    acknowledgeWildcard(
      report.role,
      `Resource::<${stack.getLogicalId(props.reportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/failovers/*`,
      'One report object per failover execution, under failovers/ only.',
    );
    acknowledgeWildcard(
      report.role,
      'Action::kms:GenerateDataKey*',
      "CDK's grant to publish to the encrypted alert topic: the topic key only.",
    );
  }

  private definition(props: FailoverWorkflowProps): sfn.IChainable {
    const { control, verify, report } = this.functions;
    const call = (id: string, f: LambdaFunction, payload: Record<string, unknown>, resultPath: string) =>
      new tasks.LambdaInvoke(this, id, {
        lambdaFunction: f.function,
        payload: sfn.TaskInput.fromObject(payload),
        payloadResponseOnly: true,
        resultPath,
      });
    const plan = new tasks.LambdaInvoke(this, 'Plan', {
      lambdaFunction: control.function,
      payload: sfn.TaskInput.fromObject({ action: 'plan', 'input.$': '$', 'execution.$': '$$.Execution' }),
      payloadResponseOnly: true,
      resultSelector: { 'plan.$': '$' },
      comment: 'Validates every input before anything changes',
    });
    plan.addCatch(new sfn.Fail(this, 'InvalidInput', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
      resultPath: '$.error',
    });
    const init = new sfn.Pass(this, 'InitSteps', {
      result: sfn.Result.fromObject({ lastReplayed: null, started: null, available: null, verification: null }),
      resultPath: '$.steps',
    });
    const reportPayload = {
      'plan.$': '$.plan',
      'steps.$': '$.steps',
      'error.$': '$.error',
      'execution.$': '$$.Execution',
    };
    const reportFailure = call('ReportFailure', report, reportPayload, '$.report');
    const failed = new sfn.Fail(this, 'FailoverFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    reportFailure.addCatch(failed, { resultPath: '$.reportError' });
    reportFailure.next(failed);

    const lastReplayed = call(
      'LastReplayedCommit',
      verify,
      { action: 'lastReplayed', 'endpoint.$': '$.plan.standbyEndpoint' },
      '$.steps.lastReplayed',
    );
    const start = call(
      'Start',
      control,
      { action: 'start', 'plan.$': '$.plan', 'execution.$': '$$.Execution' },
      '$.steps.started',
    );
    const wait = new sfn.Wait(this, 'WaitForWriter', { time: sfn.WaitTime.duration(props.poll) });
    const status = call(
      'WriterStatus',
      control,
      { action: 'status', 'plan.$': '$.plan', 'since.$': '$.steps.started.at' },
      '$.status',
    );
    const available = new sfn.Pass(this, 'RecordAvailable', {
      parameters: { 'at.$': '$.status.at', 'endpoint.$': '$.status.endpoint' },
      resultPath: '$.steps.available',
    });
    const promotedReference = new sfn.Pass(this, 'ReferenceLastReplayed', {
      parameters: { 'at.$': '$.steps.lastReplayed.lastReplayedCommit' },
      resultPath: '$.reference',
    });
    const restoredReference = new sfn.Pass(this, 'ReferenceRecoveryPoint', {
      parameters: { 'at.$': '$.plan.recoveryPoint' },
      resultPath: '$.reference',
    });
    const verifyWriter = call(
      'Verify',
      verify,
      { action: 'verify', 'endpoint.$': '$.steps.available.endpoint', 'recoveryPoint.$': '$.reference.at' },
      '$.steps.verification',
    );
    // Right after it becomes available the instance may still refuse connections for a moment.
    verifyWriter.addRetry({ errors: ['Error'], interval: props.poll, maxAttempts: 3, backoffRate: 1 });
    const reportSuccess = call('Report', report, reportPayload, '$.report');
    const done = new sfn.Succeed(this, 'FailedOver', { outputPath: '$.report' });
    for (const task of [start, status]) {
      task.addRetry({ errors: ['Throttling', 'ThrottlingException'], maxAttempts: 4, backoffRate: 2 });
    }
    for (const task of [lastReplayed, start, status, verifyWriter, reportSuccess]) {
      task.addCatch(reportFailure, { resultPath: '$.error' });
    }

    const afterVerify = new sfn.Choice(this, 'Verified?')
      .when(sfn.Condition.booleanEquals('$.steps.verification.ok', true), reportSuccess.next(done))
      .otherwise(
        recordError(this, 'VerificationFailed', 'VerificationFailed', '$.steps.verification.summary').next(
          reportFailure,
        ),
      );
    const toVerify = new sfn.Choice(this, 'PromotedOrRestored?')
      .when(sfn.Condition.stringEquals('$.plan.mode', 'promote'), promotedReference.next(verifyWriter))
      .otherwise(restoredReference.next(verifyWriter));
    verifyWriter.next(afterVerify);
    wait.next(status).next(
      new sfn.Choice(this, 'WriterReady?')
        .when(sfn.Condition.booleanEquals('$.status.ready', true), available.next(toVerify))
        .when(
          sfn.Condition.booleanEquals('$.status.failed', true),
          recordError(this, 'WriterFailed', 'WriterFailed', '$.status.status').next(reportFailure),
        )
        .when(
          sfn.Condition.booleanEquals('$.status.timedOut', true),
          recordError(this, 'WriterTimedOut', 'WriterTimedOut', '$.status.status').next(reportFailure),
        )
        .otherwise(wait),
    );
    start.next(wait);
    return plan
      .next(init)
      .next(setNull(this, 'InitError', '$.error'))
      .next(
        new sfn.Choice(this, 'DryRun?')
          .when(
            sfn.Condition.booleanEquals('$.plan.dryRun', true),
            new sfn.Succeed(this, 'DryRunDone', { outputPath: '$.plan' }),
          )
          .when(sfn.Condition.stringEquals('$.plan.mode', 'promote'), lastReplayed.next(start))
          .otherwise(start),
      );
  }
}
