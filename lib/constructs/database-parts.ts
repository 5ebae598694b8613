import { type Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { EncryptionKey, type KeyAdministration } from './encryption-key.js';

/**
 * What the project's RDS instances share: the database key, the log groups of the exported logs, the
 * enhanced-monitoring role, and (for the read replicas: the delayed replica and the DR standby) their settings and
 * the cdk-nag findings a replica cannot meet.
 */

/** Pinned minor version: upgrades are a reviewed change, not a surprise at deploy time. */
export const POSTGRES_VERSION = rds.PostgresEngineVersion.VER_15_17;
export const POSTGRES_PORT = 5432;
/** PostgreSQL logs exported to CloudWatch Logs. */
export const EXPORTED_LOGS = ['postgresql', 'upgrade', 'iam-db-auth-error'] as const;

/**
 * A customer-managed key for a region's databases that CloudWatch Logs of this account and region may use too (flow
 * logs, database logs and Lambda logs are encrypted with it).
 */
export function databaseKey(
  scope: Construct,
  id: string,
  props: { alias: string; description: string; administration: KeyAdministration },
): kms.IKey {
  const stack = Stack.of(scope);
  const key = new EncryptionKey(scope, id, props).key;
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*`,
        },
      },
    }),
  );
  return key;
}

/** Log groups made here (not by RDS) get our key and retention, without CDK's log-retention Lambda. */
export function exportedLogGroups(
  scope: Construct,
  instanceIdentifier: string,
  props: { key: kms.IKey; logRetention: logs.RetentionDays },
): logs.LogGroup[] {
  return EXPORTED_LOGS.map(
    (log) =>
      new logs.LogGroup(scope, `Logs-${log}`, {
        logGroupName: `/aws/rds/instance/${instanceIdentifier}/${log}`,
        retention: props.logRetention,
        encryptionKey: props.key,
        removalPolicy: RemovalPolicy.RETAIN,
      }),
  );
}

/**
 * The role RDS publishes enhanced monitoring with, given to instances explicitly (`monitoringRole`) so that the
 * instances of a stack share one and a restore can pass it on.
 */
export function enhancedMonitoringRole(scope: Construct, id: string): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('monitoring.rds.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonRDSEnhancedMonitoringRole')],
  });
  Validations.of(role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
    reason:
      'The AWS-managed policy made for the RDS enhanced-monitoring role: it can only write the RDSOSMetrics log group.',
  });
  return role;
}

export interface ReadReplicaProps {
  readonly instanceIdentifier: string;
  readonly source: rds.IDatabaseInstance;
  readonly instanceType: ec2.InstanceType;
  readonly vpc: ec2.IVpc;
  readonly subnetGroup: rds.ISubnetGroup;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly parameterGroup: rds.IParameterGroup;
  /** Storage, Performance Insights and logs. */
  readonly key: kms.IKey;
  readonly monitoringInterval: Duration;
  readonly monitoringRole: iam.IRole;
  readonly logRetention: logs.RetentionDays;
  readonly deletionProtection: boolean;
}

export interface ReadReplica {
  readonly instance: rds.DatabaseInstanceReadReplica;
  /** For properties the L2 does not model. */
  readonly cfn: rds.CfnDBInstance;
  /**
   * RDS's resource id (db-…), which IAM database authentication grants name. From the L1: the L2's
   * `instanceResourceId` is optional, and a read replica's is its ARN unless a feature flag is set.
   */
  readonly resourceId: string;
}

/**
 * A read replica (construct id `Resource` of `scope`), single-AZ, TLS only through its parameter group, IAM
 * authentication, encrypted with `key`, Performance Insights and enhanced monitoring, its logs in our log groups.
 * Retained by CloudFormation: once promoted it is a production database.
 */
export function readReplica(scope: Construct, props: ReadReplicaProps): ReadReplica {
  const logGroups = exportedLogGroups(scope, props.instanceIdentifier, props);
  const instance = new rds.DatabaseInstanceReadReplica(scope, 'Resource', {
    instanceIdentifier: props.instanceIdentifier,
    sourceDatabaseInstance: props.source,
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
    removalPolicy: RemovalPolicy.RETAIN,
    cloudwatchLogsExports: [...EXPORTED_LOGS],
    enablePerformanceInsights: true,
    performanceInsightEncryptionKey: props.key,
    monitoringInterval: props.monitoringInterval,
    monitoringRole: props.monitoringRole,
  });
  for (const logGroup of logGroups) instance.node.addDependency(logGroup);
  // Escape hatch: the L2 renders StorageEncrypted whenever a key is given, and CloudFormation rejects it together
  // with SourceDBInstanceIdentifier. The replica is encrypted with KmsKeyId.
  const cfn = instance.node.defaultChild as rds.CfnDBInstance;
  cfn.addPropertyDeletionOverride('StorageEncrypted');
  return { instance, cfn, resourceId: cfn.attrDbiResourceId };
}

/** Why a replica cannot meet some rules, in the words of the replica that cannot. */
export interface ReplicaFindingReasons {
  /** Same port as its source (AwsSolutions-RDS11). */
  readonly port: string;
  /** No Multi-AZ (RDS3, RDSMultiAZSupport). */
  readonly singleAz: string;
  /** No automated backups of its own (backup plan, backup enabled, RDS13). */
  readonly noBackups: string;
  /** No deletion protection; omit where it is on. */
  readonly noDeletionProtection?: string;
}

/** Acknowledges, on the replica, the findings no read replica of this project can meet, each with its reason. */
export function acknowledgeReplicaFindings(instance: Construct, reasons: ReplicaFindingReasons): void {
  const ack = (reason: string, ...ids: string[]) => {
    for (const id of ids) Validations.of(instance).acknowledge({ id, reason });
  };
  ack(reasons.port, 'AwsSolutions::AwsSolutions-RDS11');
  ack(
    `Pinned to its source's minor version (${POSTGRES_VERSION.postgresFullVersion}); a replica must not run ahead of it.`,
    'HIPAA.Security::HIPAA.Security-RDSAutomaticMinorVersionUpgradeEnabled',
  );
  ack(
    reasons.singleAz,
    'AwsSolutions::AwsSolutions-RDS3',
    'NIST.800.53.R5::NIST.800.53.R5-RDSMultiAZSupport',
    'HIPAA.Security::HIPAA.Security-RDSMultiAZSupport',
  );
  if (reasons.noDeletionProtection) {
    ack(
      reasons.noDeletionProtection,
      'AwsSolutions::AwsSolutions-RDS10',
      'NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled',
      'HIPAA.Security::HIPAA.Security-RDSInstanceDeletionProtectionEnabled',
    );
  }
  ack(
    reasons.noBackups,
    'NIST.800.53.R5::NIST.800.53.R5-RDSInBackupPlan',
    'HIPAA.Security::HIPAA.Security-RDSInBackupPlan',
    'NIST.800.53.R5::NIST.800.53.R5-RDSInstanceBackupEnabled',
    'HIPAA.Security::HIPAA.Security-RDSInstanceBackupEnabled',
    'AwsSolutions::AwsSolutions-RDS13',
  );
}

/**
 * Admits PostgreSQL from `peer` into `securityGroup` (owned by `owner`); in the peer's stack when that is another one,
 * so the database stack never depends on its clients. Not `connections.allowTo`: that names the rule differently, and
 * a deployed rule whose logical id changes is created again before the old one is deleted, which EC2 refuses as a
 * duplicate (or, where it is accepted, leaves no rule once the old one goes). test/stacks/stateful-ids pins these ids.
 */
export function admitPostgres(
  owner: Construct,
  securityGroup: ec2.ISecurityGroup,
  peer: ec2.ISecurityGroup,
  description: string,
): void {
  if (Stack.of(peer) === Stack.of(owner)) {
    securityGroup.addIngressRule(peer, ec2.Port.tcp(POSTGRES_PORT), description);
    return;
  }
  new ec2.CfnSecurityGroupIngress(peer, `To${Names.uniqueId(owner)}`, {
    groupId: securityGroup.securityGroupId,
    sourceSecurityGroupId: peer.securityGroupId,
    ipProtocol: 'tcp',
    fromPort: POSTGRES_PORT,
    toPort: POSTGRES_PORT,
    description,
  });
}

/** A PostgreSQL server's security group, and the construct its ingress rules are named after (see admitPostgres). */
export interface PostgresServer {
  readonly owner: Construct;
  readonly securityGroup: ec2.ISecurityGroup;
}

/** A database construct as a PostgresServer: its own security group, its ingress rules named after it. */
export function serverOf(database: Construct & { readonly securityGroup: ec2.ISecurityGroup }): PostgresServer {
  return { owner: database, securityGroup: database.securityGroup };
}

/**
 * Lets the closed security group `client` reach PostgreSQL on `server`: the client's egress rule and the server's
 * ingress rule (admitPostgres, so the ingress rule keeps its deployed logical id).
 */
export function reachPostgres(
  client: ec2.SecurityGroup,
  server: PostgresServer,
  rules: { readonly egress: string; readonly ingress: string },
): void {
  client.addEgressRule(server.securityGroup, ec2.Port.tcp(POSTGRES_PORT), rules.egress);
  admitPostgres(server.owner, server.securityGroup, client, rules.ingress);
}

/** What a database client's security group and its two PostgreSQL rules say (deployed descriptions: keep them). */
export interface PostgresClientDescriptions {
  readonly group: string;
  readonly egress: string;
  readonly ingress: string;
}

/**
 * The security group of a client of `server`: closed (no outbound rule but those added), PostgreSQL to the server,
 * and admitted by it (reachPostgres).
 */
export function postgresClientGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  server: PostgresServer,
  describe: PostgresClientDescriptions,
): ec2.SecurityGroup {
  const group = new ec2.SecurityGroup(scope, id, { vpc, description: describe.group, allowAllOutbound: false });
  reachPostgres(group, server, describe);
  return group;
}
