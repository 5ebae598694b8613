import { type Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { acknowledgeReplicaFindings, POSTGRES_PORT, POSTGRES_VERSION, readReplica } from './database-parts.js';

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
  /** The DR region's enhanced-monitoring role (instances there share it). */
  readonly monitoringRole: iam.IRole;
  readonly logRetention: logs.RetentionDays;
  readonly deletionProtection: boolean;
}

/**
 * The warm standby for region loss: a cross-region read replica of the primary, in the DR region's isolated subnets,
 * encrypted with a DR-region key, TLS only, IAM authentication, Performance Insights and enhanced monitoring. The
 * failover workflow promotes it; nothing else writes to it.
 */
export class StandbyReplica extends Construct implements ec2.IConnectable {
  readonly instance: rds.DatabaseInstanceReadReplica;
  readonly instanceIdentifier: string;
  /** RDS's resource id (db-…), which IAM database authentication grants name. */
  readonly resourceId: string;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Its security group: clients are admitted with `client.connections.allowTo(standby, ...)`. */
  readonly connections: ec2.Connections;

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
    const replica = readReplica(this, {
      ...props,
      instanceIdentifier: this.instanceIdentifier,
      source,
    });
    this.instance = replica.instance;
    this.resourceId = replica.resourceId;
    this.connections = this.instance.connections;
    // Escape hatch: a cross-region source is named by its ARN; the imported source above would be given this region's.
    replica.cfn.addPropertyOverride('SourceDBInstanceIdentifier', props.sourceInstanceArn);
    acknowledgeReplicaFindings(this.instance, {
      port: 'Same port as the primary it replicates, so clients change only the host.',
      singleAz:
        'The standby is itself the second copy (another region); after a promotion the runbook turns Multi-AZ on ' +
        '(README: region loss), which a read replica cannot have before.',
      ...(props.deletionProtection
        ? {}
        : {
            noDeletionProtection:
              'Deletion protection follows the environment (on in prod); this environment can be torn down.',
          }),
      noBackups:
        'RDS for PostgreSQL read replicas have no automated backups; the primary is backed up (PITR replicated to ' +
        'this region, AWS Backup copies in the DR vault) and the failover sets backups on at promotion.',
    });
    if (Stack.of(this).region === props.sourceInstanceArn.split(':')[3]) {
      throw new Error(
        `${this.node.path}: the standby must be in another region than its source, but both are in ${Stack.of(this).region}`,
      );
    }
  }
}
