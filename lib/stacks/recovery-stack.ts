import { CfnOutput, Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { dumpBucketName } from '../../contract/logical-dump.js';
import { resourcePrefix } from '../../contract/names.js';
import { standbyInstanceId } from '../../contract/readiness.js';
import type { AuthDatabase } from '../constructs/auth-database.js';
import type { DelayedReplica } from '../constructs/delayed-replica.js';
import { DrDrillWorkflow } from '../constructs/dr-drill-workflow.js';
import { DrillAlarms } from '../constructs/drill-alarms.js';
import { RECOVERY_POINT_MAX_AGE, ReadinessMonitor } from '../constructs/readiness-monitor.js';
import { RecoveryDashboard } from '../constructs/recovery-dashboard.js';
import { ReportBucket } from '../constructs/report-bucket.js';
import { RestoreTestValidation } from '../constructs/restore-test-validation.js';
import { RestoreWorkflow } from '../constructs/restore-workflow.js';
import { RewindWorkflow } from '../constructs/rewind-workflow.js';
import { VerifierRoleBootstrap } from '../constructs/verifier-role-bootstrap.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

export interface RecoveryStackProps extends EnvironmentStackProps {
  readonly vpc: ec2.IVpc;
  readonly database: AuthDatabase;
  /** The database's key (kept when stacks go): RDS needs it to restore; it also encrypts logs and reports. */
  readonly key: kms.IKey;
  /** Where alarms and reports go: the backup alerts topic. */
  readonly alertTopic: sns.ITopic;
  /** The DR-region key of replicated automated backups (a cross-region reference): restored instances use it too. */
  readonly drKey: kms.IKey;
  /** AWS Backup restore testing of the database, validated by our verifier. @default - no validation */
  readonly restoreTesting?: { readonly planArn: string; readonly securityGroup: ec2.ISecurityGroup };
  /** The delayed replica, where config enables it: the rewind workflow promotes it. */
  readonly delayedReplica?: DelayedReplica;
}

/**
 * The recovery workflows: the scheduled DR drill (and its sweeper and alarms) and the restore workflow. Stateless apart from the retained
 * report bucket: it can be destroyed and deployed again at any time.
 */
export class RecoveryStack extends EnvironmentStack {
  readonly drill: DrDrillWorkflow;
  readonly reports: ReportBucket;
  readonly alarms: DrillAlarms;
  readonly verifierRole: VerifierRoleBootstrap;
  readonly restore: RestoreWorkflow;
  readonly dashboard: RecoveryDashboard;
  readonly restoreTestValidation?: RestoreTestValidation;
  readonly rewind?: RewindWorkflow;
  readonly readiness: ReadinessMonitor;

  constructor(scope: Construct, id: string, props: RecoveryStackProps) {
    super(scope, id, props);
    const { config } = props;
    const d = config.drill;

    this.reports = new ReportBucket(this, 'Reports', {
      key: props.key,
      retention: Duration.days(d.reportRetentionDays),
      writtenBy: 'the drill and restore report functions (one object an execution)',
      whyNoReplication:
        'Each report is also summarized by e-mail and its numbers are CloudWatch metrics; the bucket is versioned and ' +
        'retained. A second-region copy would protect a record, not the database.',
    });

    // The verifier's read-only role in the production database, created (idempotently) at deploy time.
    this.verifierRole = new VerifierRoleBootstrap(this, 'VerifierRole', {
      vpc: props.vpc,
      database: props.database,
      key: props.key,
      roleName: d.verifierRole,
      dumpRoleName: config.logicalBackup.dumpRole,
      databaseName: config.database.databaseName,
      tables: d.tables,
      ...(config.delayedReplica.enabled ? { replayControlRole: config.delayedReplica.replayControlRole } : {}),
      logRetention: config.logRetentionDays,
      alertTopic: props.alertTopic,
    });
    // The logical dump task (stack logical-backup) shares the isolated subnets and so this S3 route: besides
    // CloudFormation's responses, it admits ECR's image layers and the dump bucket, nothing else.
    const dumps = `arn:${this.partition}:s3:::${dumpBucketName(config.name, this.account, this.region)}`;
    this.verifierRole.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EcrImageLayers',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [`arn:${this.partition}:s3:::prod-${this.region}-starport-layer-bucket/*`],
      }),
    );
    this.verifierRole.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LogicalDumps',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: [`${dumps}/*`],
      }),
    );

    this.drill = new DrDrillWorkflow(this, 'Drill', {
      environment: config.name,
      vpc: props.vpc,
      database: props.database,
      key: props.key,
      alertTopic: props.alertTopic,
      reportBucket: this.reports.bucket,
      databaseName: config.database.databaseName,
      schedule: d.schedule,
      scheduleTimeZone: d.scheduleTimeZone,
      instanceClass: d.instanceClass,
      maxWait: Duration.minutes(d.maxWaitMinutes),
      poll: Duration.seconds(d.pollSeconds),
      settle: Duration.minutes(d.settleMinutes),
      tables: d.tables,
      verifierRole: d.verifierRole,
      concurrency: d.concurrency,
      statementTimeout: Duration.seconds(d.statementTimeoutSeconds),
      sweeperMaxAge: Duration.hours(d.sweeperMaxAgeHours),
      rtoTarget: Duration.minutes(config.targets.rtoMinutes),
      rpoTarget: Duration.minutes(config.targets.rpoMinutes),
      logRetention: config.logRetentionDays,
    });

    this.restore = new RestoreWorkflow(this, 'Restore', {
      environment: config.name,
      database: props.database,
      key: props.key,
      drKey: props.drKey,
      drRegion: config.drRegion,
      replicatedBackupRetention: Duration.days(config.database.replicatedBackupRetentionDays),
      allowedInstanceClasses: config.restore.allowedInstanceClasses,
      // A rewind hands the promoted delayed replica (its own class) to the same cutover.
      cutoverInstanceClasses: [
        ...new Set([
          config.database.instanceClass,
          ...config.restore.allowedInstanceClasses,
          ...(config.delayedReplica.enabled ? [config.delayedReplica.instanceClass] : []),
        ]),
      ],
      maxStorageGiB: config.database.maxAllocatedStorageGiB,
      cutover: {
        dataLossAcknowledgementAfter: Duration.minutes(
          Math.round(config.cutover.dataLossAcknowledgementAfterHours * 60),
        ),
        ...(config.cutover.requireApproval
          ? { approvalTimeout: Duration.minutes(config.cutover.approvalTimeoutMinutes) }
          : {}),
      },
      alertTopic: props.alertTopic,
      reportBucket: this.reports.bucket,
      statusFunction: this.drill.functions.status,
      verifierFunction: this.drill.functions.verifier,
      maxWait: Duration.minutes(d.maxWaitMinutes),
      poll: Duration.seconds(d.pollSeconds),
      rtoTarget: Duration.minutes(config.targets.rtoMinutes),
      logRetention: config.logRetentionDays,
    });

    if (props.restoreTesting) {
      // Its id starts with neither Restore nor Drill: the guard tests enumerate those workflows' roles by prefix.
      this.restoreTestValidation = new RestoreTestValidation(this, 'ValidateRestoreTests', {
        environment: config.name,
        key: props.key,
        logRetention: config.logRetentionDays,
        vpc: props.vpc,
        database: props.database,
        databaseName: config.database.databaseName,
        restoreTestingPlanArn: props.restoreTesting.planArn,
        restoreTestingSecurityGroup: props.restoreTesting.securityGroup,
        verifierRole: d.verifierRole,
        tables: d.tables,
        settle: Duration.minutes(d.settleMinutes),
        concurrency: d.concurrency,
        statementTimeout: Duration.seconds(d.statementTimeoutSeconds),
        // A snapshot holds what was written until it was taken; the RPO alarm threshold bounds the gap.
        maxDataAge: Duration.minutes(config.targets.rpoMinutes + config.targets.rpoAlarmMarginMinutes),
        statusFunction: this.drill.functions.status,
        maxWait: Duration.minutes(d.maxWaitMinutes),
        poll: Duration.seconds(d.pollSeconds),
        alertTopic: props.alertTopic,
      });
    }

    if (props.delayedReplica) {
      const r = config.rewind;
      this.rewind = new RewindWorkflow(this, 'Rewind', {
        environment: config.name,
        vpc: props.vpc,
        database: props.database,
        replica: props.delayedReplica,
        key: props.key,
        alertTopic: props.alertTopic,
        reportBucket: this.reports.bucket,
        databaseName: config.database.databaseName,
        replayControlRole: config.delayedReplica.replayControlRole,
        verifierRole: d.verifierRole,
        tables: d.tables,
        concurrency: d.concurrency,
        margin: Duration.minutes(r.marginMinutes),
        poll: Duration.seconds(r.pollSeconds),
        replayTimeout: Duration.minutes(r.replayTimeoutMinutes),
        promoteTimeout: Duration.minutes(r.promoteTimeoutMinutes),
        backupRetention: Duration.days(config.database.backupRetentionDays),
        rtoTarget: Duration.minutes(config.targets.rtoMinutes),
        cutover: {
          function: this.restore.functions.cutover,
          rollBackStateMachine: this.restore.rollBackStateMachine,
          // The same two-person rule as the restore's cutover (cutover.requireApproval).
          ...(this.restore.functions.approval && config.cutover.requireApproval
            ? {
                approval: {
                  function: this.restore.functions.approval,
                  timeout: Duration.minutes(config.cutover.approvalTimeoutMinutes),
                },
              }
            : {}),
        },
        statusFunction: this.drill.functions.status,
        logRetention: config.logRetentionDays,
      });
    }

    this.readiness = new ReadinessMonitor(this, 'Readiness', {
      environment: config.name,
      database: props.database,
      drRegion: config.drRegion,
      drillStateMachine: this.drill.stateMachine,
      ...(props.delayedReplica
        ? {
            delayedReplica: props.delayedReplica,
            applyDelay: Duration.minutes(config.delayedReplica.applyDelayMinutes),
          }
        : {}),
      schedule: Duration.minutes(config.readiness.scheduleMinutes),
      breachPeriods: config.readiness.breachPeriods,
      rpoObjective: Duration.minutes(config.targets.rpoMinutes),
      drillMaxAge: Duration.days(config.readiness.drillMaxAgeDays),
      drDrillMaxAge: Duration.days(config.readiness.drDrillMaxAgeDays),
      ...(config.readiness.drStandby ? { standbyInstanceId: standbyInstanceId(config.name) } : {}),
      key: props.key,
      alertTopic: props.alertTopic,
      logRetention: config.logRetentionDays,
    });

    this.alarms = new DrillAlarms(this, 'DrillAlarms', {
      environment: config.name,
      stateMachine: this.drill.stateMachine,
      alertTopic: props.alertTopic,
      rtoTarget: Duration.minutes(config.targets.rtoMinutes),
      rpoAlarmThreshold: Duration.minutes(config.targets.rpoMinutes + config.targets.rpoAlarmMarginMinutes),
    });

    this.dashboard = new RecoveryDashboard(this, 'Dashboard', {
      environment: config.name,
      database: props.database.instance,
      drillStateMachine: this.drill.stateMachine,
      restoreStateMachine: this.restore.stateMachine,
      rtoTarget: Duration.minutes(config.targets.rtoMinutes),
      rpoTarget: Duration.minutes(config.targets.rpoMinutes),
      rpoAlarmThreshold: Duration.minutes(config.targets.rpoMinutes + config.targets.rpoAlarmMarginMinutes),
      alarms: [...Object.values(this.alarms.alarms), ...Object.values(this.readiness.alarms)],
      readiness: {
        drRegion: config.drRegion,
        schedule: Duration.minutes(config.readiness.scheduleMinutes),
        recoveryPointMaxAge: RECOVERY_POINT_MAX_AGE,
        standby: config.readiness.drStandby,
      },
    });

    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output(
      'DrillStateMachineArn',
      this.drill.stateMachine.stateMachineArn,
      'Start a DR drill here (input {} or see README)',
    );
    output(
      'RestoreStateMachineArn',
      this.restore.stateMachine.stateMachineArn,
      'Start a restore here (see README runbook)',
    );
    output(
      'ReportBucketName',
      this.reports.bucket.bucketName,
      'JSON reports: drills/ENV/YYYY/MM/, restores/ENV/YYYY/MM/',
    );
    output(
      'DashboardUrl',
      `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${resourcePrefix(config.name)}`,
      'RPO, RTO, drill and restore outcomes, backup failures, database health',
    );
  }
}
