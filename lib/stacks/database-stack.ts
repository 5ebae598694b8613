import { CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { AuthDatabase } from '../constructs/auth-database.js';
import { databaseKey } from '../constructs/database-parts.js';
import { DelayedReplica } from '../constructs/delayed-replica.js';
import { Network } from '../constructs/network.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

export interface DatabaseStackProps extends EnvironmentStackProps {
  /** Key in the DR region for the replicated automated backups (a cross-region reference). */
  readonly replicationKey: kms.IKey;
}

/** Stateful resources in the primary region: the database's key, its network and the database itself. */
export class DatabaseStack extends EnvironmentStack {
  readonly key: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly database: AuthDatabase;
  /** The delayed replica the rewind workflow promotes; only where config enables it. */
  readonly delayedReplica?: DelayedReplica;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    super(scope, id, props);
    const { config } = props;
    const db = config.database;

    // CloudWatch Logs encrypts the flow logs, database logs and Lambda logs with this key.
    const key = databaseKey(this, 'DatabaseKey', {
      alias: `authdb-dr/${config.name}/database`,
      description: `authdb ${config.name}: database storage, master secret, Performance Insights, logs`,
      administration: this.keyAdministration,
    });
    this.key = key;

    this.vpc = new Network(this, 'Network', {
      availabilityZones: this.availabilityZones,
      cidr: config.network.vpcCidr,
      existingVpc: config.network.existingVpc,
      logKey: key,
      logRetention: config.logRetentionDays,
    }).vpc;

    this.database = new AuthDatabase(this, 'Database', {
      instanceIdentifier: `authdb-${config.name}`,
      vpc: this.vpc,
      key,
      instanceType: new ec2.InstanceType(db.instanceClass.replace(/^db\./, '')),
      multiAz: db.multiAz,
      allocatedStorageGiB: db.allocatedStorageGiB,
      maxAllocatedStorageGiB: db.maxAllocatedStorageGiB,
      backupRetention: Duration.days(db.backupRetentionDays),
      preferredBackupWindow: db.backupWindow,
      preferredMaintenanceWindow: db.maintenanceWindow,
      deletionProtection: db.deletionProtection,
      removalPolicy: db.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
      databaseName: db.databaseName,
      masterUsername: db.masterUsername,
      slowStatementThreshold: Duration.millis(db.slowStatementMs),
      monitoringInterval: Duration.seconds(db.monitoringIntervalSeconds),
      performanceInsightRetention:
        db.performanceInsightsRetentionDays === 731
          ? rds.PerformanceInsightRetention.LONG_TERM
          : rds.PerformanceInsightRetention.DEFAULT,
      logRetention: config.logRetentionDays,
      backupReplication: {
        region: config.drRegion,
        key: props.replicationKey,
        retention: Duration.days(db.replicatedBackupRetentionDays),
      },
    });
    const delayed = config.delayedReplica;
    if (delayed.enabled) {
      this.delayedReplica = new DelayedReplica(this, 'DelayedReplica', {
        source: this.database,
        environment: config.name,
        generation: delayed.generation,
        applyDelay: Duration.minutes(delayed.applyDelayMinutes),
        instanceType: new ec2.InstanceType(delayed.instanceClass.replace(/^db\./, '')),
        key,
        monitoringInterval: Duration.seconds(db.monitoringIntervalSeconds),
        logRetention: config.logRetentionDays,
      });
    }
    new CfnOutput(this, 'DatabaseEndpoint', {
      value: this.database.instance.dbInstanceEndpointAddress,
      description: 'Host applications connect to (TLS required); stays the same after a restore cutover',
    });
    new CfnOutput(this, 'DatabaseInstanceId', {
      value: this.database.instanceIdentifier,
      description: 'RDS instance id',
    });
    new CfnOutput(this, 'MasterSecretArn', {
      // Escape hatch: the L2 exposes no secret for an RDS-managed master password.
      value: (this.database.instance.node.defaultChild as rds.CfnDBInstance).attrMasterUserSecretSecretArn,
      description: 'ARN (not the value) of the RDS-managed master secret; break-glass use only',
    });
  }
}
