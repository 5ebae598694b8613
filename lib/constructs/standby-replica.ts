import { type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import {
  acknowledgeMonitoringRole,
  admitPostgres,
  EXPORTED_LOGS,
  POSTGRES_PORT,
  POSTGRES_VERSION,
} from './auth-database.js';

/** `authdb-ENV-standby`: the name the readiness monitor, the failover workflow and the CLI look for. */
export function standbyIdentifier(environment: string): string {
  return `authdb-${environment}-standby`;
}

export interface StandbyReplicaProps {
  readonly environment: string;
  /** ARN of the primary instance in the primary region (a cross-region source must be named by ARN). */
  readonly sourceInstanceArn: string;
  readonly vpc: ec2.IVpc;
  readonly subnetGroup: rds.ISubnetGroup;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly parameterGroup: rds.IParameterGroup;
  readonly instanceType: ec2.InstanceType;
  /** A key of the DR region: storage, Performance Insights and logs (a cross-region replica needs one there). */
  readonly key: kms.IKey;
  readonly monitoringInterval: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly deletionProtection: boolean;
}

/**
 * The warm standby for region loss: a cross-region read replica of the primary, in the DR region's isolated subnets,
 * encrypted with a DR-region key, TLS only, IAM authentication, Performance Insights and enhanced monitoring. The
 * failover workflow promotes it; nothing else writes to it.
 */
export class StandbyReplica extends Construct {
  readonly instance: rds.DatabaseInstanceReadReplica;
  readonly instanceIdentifier: string;
  /** RDS's resource id (db-…), which IAM database authentication grants name. */
  readonly resourceId: string;
  readonly securityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: StandbyReplicaProps) {
    super(scope, id);
    this.instanceIdentifier = standbyIdentifier(props.environment);
    this.securityGroup = props.securityGroup;
    const engine = rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION });
    // The L2 takes the source's ARN from this; the override below names the primary region's instance.
    const source = rds.DatabaseInstance.fromDatabaseInstanceAttributes(this, 'Source', {
      instanceIdentifier: `authdb-${props.environment}`,
      instanceEndpointAddress: 'unused',
      port: POSTGRES_PORT,
      securityGroups: [],
      engine,
    });
    const logGroups = EXPORTED_LOGS.map(
      (log) =>
        new logs.LogGroup(this, `Logs-${log}`, {
          logGroupName: `/aws/rds/instance/${this.instanceIdentifier}/${log}`,
          retention: props.logRetention,
          encryptionKey: props.key,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
    );
    this.instance = new rds.DatabaseInstanceReadReplica(this, 'Resource', {
      instanceIdentifier: this.instanceIdentifier,
      sourceDatabaseInstance: source,
      instanceType: props.instanceType,
      vpc: props.vpc,
      subnetGroup: props.subnetGroup,
      securityGroups: [props.securityGroup],
      port: POSTGRES_PORT,
      publiclyAccessible: false,
      multiAz: false,
      parameterGroup: props.parameterGroup,
      iamAuthentication: true,
      storageType: rds.StorageType.GP3,
      storageEncryptionKey: props.key,
      autoMinorVersionUpgrade: false,
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection,
      // Retained: after a failover this is the production database.
      removalPolicy: RemovalPolicy.RETAIN,
      cloudwatchLogsExports: [...EXPORTED_LOGS],
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.key,
      monitoringInterval: props.monitoringInterval,
    });
    for (const logGroup of logGroups) this.instance.node.addDependency(logGroup);
    const cfn = this.instance.node.defaultChild as rds.CfnDBInstance;
    // A cross-region source is named by its ARN; the imported source above would be given this region's.
    cfn.addPropertyOverride('SourceDBInstanceIdentifier', props.sourceInstanceArn);
    // Encrypted with KmsKeyId (a key of this region); CloudFormation rejects StorageEncrypted with a source.
    cfn.addPropertyDeletionOverride('StorageEncrypted');
    this.resourceId = cfn.attrDbiResourceId;
    this.acknowledgeFindings(props);
    if (Stack.of(this).region === props.sourceInstanceArn.split(':')[3]) {
      throw new Error(
        `${this.node.path}: the standby must be in another region than its source, but both are in ${Stack.of(this).region}`,
      );
    }
  }

  private acknowledgeFindings(props: StandbyReplicaProps): void {
    const cfn = this.instance.node.defaultChild as rds.CfnDBInstance;
    const ack = (id: string, reason: string) => Validations.of(cfn).acknowledge({ id, reason });
    ack('AwsSolutions::AwsSolutions-RDS11', 'Same port as the primary it replicates, so clients change only the host.');
    ack(
      'HIPAA.Security::HIPAA.Security-RDSAutomaticMinorVersionUpgradeEnabled',
      `Pinned to the primary's minor version (${POSTGRES_VERSION.postgresFullVersion}); a replica must not run ahead of it.`,
    );
    const single =
      'The standby is itself the second copy (another region); after a promotion the runbook turns Multi-AZ on ' +
      '(README: region loss), which a read replica cannot have before.';
    ack('AwsSolutions::AwsSolutions-RDS3', single);
    ack('NIST.800.53.R5::NIST.800.53.R5-RDSMultiAZSupport', single);
    ack('HIPAA.Security::HIPAA.Security-RDSMultiAZSupport', single);
    if (!props.deletionProtection) {
      const reason = 'Deletion protection follows the environment (on in prod); this environment can be torn down.';
      ack('AwsSolutions::AwsSolutions-RDS10', reason);
      ack('NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled', reason);
      ack('HIPAA.Security::HIPAA.Security-RDSInstanceDeletionProtectionEnabled', reason);
    }
    const noBackups =
      'RDS for PostgreSQL read replicas have no automated backups; the primary is backed up (PITR replicated to this ' +
      'region, AWS Backup copies in the DR vault) and the failover sets backups on at promotion.';
    for (const id of [
      'NIST.800.53.R5::NIST.800.53.R5-RDSInBackupPlan',
      'HIPAA.Security::HIPAA.Security-RDSInBackupPlan',
      'NIST.800.53.R5::NIST.800.53.R5-RDSInstanceBackupEnabled',
      'HIPAA.Security::HIPAA.Security-RDSInstanceBackupEnabled',
      'AwsSolutions::AwsSolutions-RDS13',
    ]) {
      ack(id, noBackups);
    }
    acknowledgeMonitoringRole(this.instance);
  }

  /** Admits PostgreSQL connections from `peer`; the rule lives in the peer's stack if it is elsewhere. */
  allowConnectionsFrom(peer: ec2.ISecurityGroup, description: string): void {
    admitPostgres(this, this.securityGroup, peer, description);
  }
}
