import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { replicaIdentifier } from '../../contract/rewind-input.js';
import type { AuthDatabase } from './auth-database.js';
import { acknowledgeReplicaFindings, POSTGRES_VERSION, readReplica } from './database-parts.js';

export { replicaIdentifier };

/** RDS accepts recovery_min_apply_delay up to 24 hours. */
const MAX_DELAY_MS = 86_400_000;

export interface DelayedReplicaProps {
  /** The production database this replica follows. */
  readonly source: AuthDatabase;
  readonly environment: string;
  /** 1 for the first replica; a rewind promotes it, and the next generation replaces it (see `replicaIdentifier`). */
  readonly generation: number;
  /** How late commits are applied (recovery_min_apply_delay): the window in which a bad write can be undone. */
  readonly applyDelay: Duration;
  readonly instanceType: ec2.InstanceType;
  /** The source's key: storage, Performance Insights and logs. */
  readonly key: kms.IKey;
  readonly monitoringInterval: Duration;
  readonly logRetention: logs.RetentionDays;
}

/** `authdb-ENV-delayed`, then `authdb-ENV-delayed-g2`, … : a new generation is a new instance. */

/**
 * A read replica of the production database in the same region that applies commits late, with its own parameter
 * group (recovery_min_apply_delay, TLS only). No application connects to it: its security group admits only the
 * rewind and readiness functions. The rewind workflow changes its parameter group, reboots and promotes it; both
 * are retained when a later generation replaces them, so a deploy never deletes an instance a rewind promoted.
 */
export class DelayedReplica extends Construct implements ec2.IConnectable {
  readonly instance: rds.DatabaseInstanceReadReplica;
  readonly instanceIdentifier: string;
  readonly parameterGroup: rds.ParameterGroup;
  /** Physical name of the parameter group (the rewind workflow modifies it). */
  readonly parameterGroupName: string;
  readonly securityGroup: ec2.SecurityGroup;
  /** Its security group: clients are admitted with `client.connections.allowTo(replica, ...)`. */
  readonly connections: ec2.Connections;
  /** RDS's resource id (db-…), which IAM database authentication grants name. */
  readonly resourceId: string;

  constructor(scope: Construct, id: string, props: DelayedReplicaProps) {
    super(scope, id);
    const delayMs = props.applyDelay.toMilliseconds();
    if (!Number.isInteger(props.generation) || props.generation < 1) {
      throw new Error(`${this.node.path}: generation must be a whole number >= 1, but got ${props.generation}`);
    }
    if (delayMs <= 0 || delayMs > MAX_DELAY_MS) {
      throw new Error(`${this.node.path}: applyDelay must be above 0 and at most 24 hours, but got ${delayMs} ms`);
    }
    this.instanceIdentifier = replicaIdentifier(props.environment, props.generation);

    const engine = rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION });
    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      // Part of the description so that a new generation gets a new group (a description change replaces it).
      description: `authdb delayed replica generation ${props.generation}: commits applied ${delayMs} ms late, TLS only`,
      parameters: {
        recovery_min_apply_delay: String(delayMs),
        'rds.force_ssl': '1',
        log_connections: '1',
        log_disconnections: '1',
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.source.instance.vpc,
      description: 'authdb delayed replica: admits only the rewind and readiness functions',
      allowAllOutbound: false,
    });
    const replica = readReplica(this, {
      instanceIdentifier: this.instanceIdentifier,
      source: props.source.instance,
      instanceType: props.instanceType,
      vpc: props.source.instance.vpc,
      subnetGroup: props.source.subnetGroup,
      securityGroup: this.securityGroup,
      parameterGroup: this.parameterGroup,
      key: props.key,
      monitoringInterval: props.monitoringInterval,
      // Shared with its source: one enhanced-monitoring role for the production database's stack.
      monitoringRole: props.source.monitoringRole,
      logRetention: props.logRetention,
      // Retained (RETAIN) instead: after a rewind this is the promoted database, and nobody but an operator may delete it.
      deletionProtection: false,
    });
    this.instance = replica.instance;
    this.resourceId = replica.resourceId;
    this.connections = this.instance.connections;
    this.parameterGroupName = this.parameterGroup.bindToInstance({}).parameterGroupName;
    acknowledgeReplicaFindings(this.instance, {
      port: 'Same port as the source it replicates; reachable only from the rewind and readiness functions.',
      singleAz:
        'A delayed copy for undoing bad writes, not for availability: the source is Multi-AZ, and losing this ' +
        'replica loses no data (the next deploy recreates it).',
      noDeletionProtection:
        'A read replica holds no data of its own; it is retained by CloudFormation (RETAIN) instead, so a deploy ' +
        'never deletes it, and a rewind must be able to promote it without another change.',
      noBackups:
        'RDS for PostgreSQL read replicas have no automated backups; the source is backed up (PITR, AWS Backup) and ' +
        'a promoted replica gets backups at promotion (BackupRetentionPeriod of PromoteReadReplica).',
    });
  }
}
