import * as path from 'node:path';
import { Duration, IgnoreMode, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { dumpPrefix, LOGICAL_DUMP_ENV as ENV, encryptionContext } from '../../contract/logical-dump.js';
import { resourceName } from '../../contract/names.js';
import type { AuthDatabase } from './auth-database.js';
import { postgresClientGroup, serverOf } from './database-parts.js';
import { acknowledgeInlinePolicy, acknowledgeWildcard } from './nag.js';

/** The repository root: the image's build context (the Dockerfile bundles jobs/ with the lock file's packages). */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface LogicalBackupJobProps {
  readonly environment: string;
  readonly vpc: ec2.IVpc;
  readonly database: AuthDatabase;
  readonly databaseName: string;
  /** PostgreSQL role the dump logs in as, with IAM authentication. */
  readonly dumpRole: string;
  readonly bucket: s3.IBucket;
  /** The bucket's key (server-side encryption of the stored objects). */
  readonly bucketKey: kms.IKey;
  /** Wraps every archive's data key (AWS Encryption SDK envelope). */
  readonly dumpKey: kms.IKey;
  /** Encrypts the task's logs. */
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** EventBridge Scheduler cron, in `scheduleTimeZone`. */
  readonly schedule: string;
  readonly scheduleTimeZone: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly ephemeralStorageGiB: number;
}

/**
 * The scheduled dump task: ECS Fargate in the isolated subnets (VPC endpoints for ECR, logs and KMS; S3 through the
 * VPC's gateway endpoint), IAM authentication to the database, write and read of its own prefix in the bucket.
 */
export class LogicalBackupJob extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly securityGroup: ec2.SecurityGroup;
  readonly schedule: scheduler.Schedule;
  readonly scheduleGroup: scheduler.ScheduleGroup;

  constructor(scope: Construct, id: string, props: LogicalBackupJobProps) {
    super(scope, id);
    const { vpc, database } = props;
    const isolated: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const name = resourceName(props.environment, 'logical-dump');

    this.securityGroup = postgresClientGroup(this, 'SecurityGroup', vpc, serverOf(database), {
      group: 'authdb logical dump task: PostgreSQL to the database, HTTPS to the VPC endpoints',
      egress: 'the production database',
      ingress: 'logical dump task (read-only dump role)',
    });
    // Isolated subnets route HTTPS nowhere but to the VPC endpoints (interface ones below, the S3 gateway).
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs through the VPC endpoints only');

    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'authdb logical dump VPC endpoints: HTTPS from the dump task only',
      allowAllOutbound: false,
    });
    endpointSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'the logical dump task');
    const services = {
      EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
    };
    for (const [endpointId, service] of Object.entries(services)) {
      new ec2.InterfaceVpcEndpoint(this, `${endpointId}Endpoint`, {
        vpc,
        service,
        subnets: isolated,
        privateDnsEnabled: true,
        securityGroups: [endpointSecurityGroup],
        open: false,
      });
    }

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: name,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: name,
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      ephemeralStorageGiB: props.ephemeralStorageGiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/authdb-dr/${props.environment}/logical-dump`,
      retention: props.logRetention,
      encryptionKey: props.logKey,
    });
    this.taskDefinition.addContainer('dump', {
      image: ecs.ContainerImage.fromAsset(REPO_ROOT, {
        file: 'jobs/logical-dump/Dockerfile',
        platform: Platform.LINUX_ARM64,
        ignoreMode: IgnoreMode.DOCKER,
        // Only what the Dockerfile copies: the asset hash changes when the job changes, not with the rest.
        exclude: [
          '*',
          '!package.json',
          '!package-lock.json',
          '!tsconfig.json',
          '!jobs',
          '!contract',
          '!lambda',
          'lambda/*',
          '!lambda/shared',
        ],
      }),
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: 'dump' }),
      readonlyRootFilesystem: false,
      environment: {
        [ENV.environment]: props.environment,
        [ENV.bucket]: props.bucket.bucketName,
        [ENV.keyArn]: props.dumpKey.keyArn,
        [ENV.dbHost]: database.instance.dbInstanceEndpointAddress,
        [ENV.dbPort]: database.instance.dbInstanceEndpointPort,
        [ENV.dbName]: props.databaseName,
        [ENV.dbUser]: props.dumpRole,
        [ENV.dbInstanceId]: database.instanceIdentifier,
      },
    });
    this.grantTaskRole(this.taskDefinition.taskRole, props);
    const executionPolicy = this.taskDefinition.obtainExecutionRole().node.findChild('DefaultPolicy');
    acknowledgeInlinePolicy(executionPolicy);
    acknowledgeWildcard(
      executionPolicy,
      'Resource::*',
      'ecr:GetAuthorizationToken (to pull the image) has no resource-level permission; the repository pulls are scoped.',
    );
    Validations.of(this.taskDefinition.node.defaultChild!).acknowledge({
      id: 'AwsSolutions::AwsSolutions-ECS2',
      reason:
        'The variables are names, endpoints and ARNs, none secret: the database password is an IAM token the task ' +
        'signs at run time, and the archive keys come from KMS.',
    });

    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'ScheduleGroup', { scheduleGroupName: name });
    this.schedule = this.addSchedule(props, isolated);
  }

  private grantTaskRole(role: iam.IRole, props: LogicalBackupJobProps): void {
    props.database.instance.grantConnect(role, props.dumpRole);
    const prefix = props.bucket.arnForObjects(`${dumpPrefix(props.environment)}*`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteAndReadBackDumps',
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: [prefix],
      }),
    );
    // The bucket's key, for SSE-KMS of what the task writes and reads back.
    props.bucketKey.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    // The envelope key, only for archives of this environment (the SDK puts the context on every data key).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DumpDataKeys',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.dumpKey.keyArn],
        conditions: {
          StringEquals: {
            'kms:EncryptionContext:purpose': encryptionContext(props.environment, 'x').purpose,
            'kms:EncryptionContext:environment': props.environment,
          },
        },
      }),
    );
    acknowledgeInlinePolicy(role);
    acknowledgeWildcard(
      role,
      `Resource::<${Stack.of(this).getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${dumpPrefix(props.environment)}*`,
      "Every dump is a new object under this environment's prefix, named by its start time.",
    );
  }

  private addSchedule(props: LogicalBackupJobProps, subnets: ec2.SubnetSelection): scheduler.Schedule {
    const role = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: runs the logical dump task',
    });
    const schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleGroup: this.scheduleGroup,
      description: `authdb-dr ${props.environment}: logical dump (pg_dump -Fc), proven by a restore`,
      schedule: scheduler.ScheduleExpression.expression(props.schedule, TimeZone.of(props.scheduleTimeZone)),
      target: new schedulerTargets.EcsRunFargateTask(this.cluster, {
        taskDefinition: this.taskDefinition,
        vpcSubnets: subnets,
        securityGroups: [this.securityGroup],
        assignPublicIp: false,
        role,
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
      timeWindow: scheduler.TimeWindow.off(),
    });
    acknowledgeInlinePolicy(role);
    return schedule;
  }
}
