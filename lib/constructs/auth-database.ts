import { type Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import {
  EXPORTED_LOGS,
  enhancedMonitoringRole,
  exportedLogGroups,
  POSTGRES_PORT,
  POSTGRES_VERSION,
} from './database-parts.js';

export { EXPORTED_LOGS, POSTGRES_PORT, POSTGRES_VERSION };

export interface BackupReplication {
  /** The DR region the automated backups are replicated to. */
  readonly region: string;
  /** Key in the DR region that encrypts the replicated backups. */
  readonly key: kms.IKey;
  /** How long the replicated backups are kept (1-35 days). */
  readonly retention: Duration;
}

export interface AuthDatabaseProps {
  /**
   * Fixed identifier, so that operators, the drill and the restore workflow can name the instance, and so that a
   * cutover (renaming a restored instance to this id) keeps the endpoint. At most 38 characters, leaving room for
   * the `-pre-restore-yyyymmddhhmm` suffix a cutover appends.
   */
  readonly instanceIdentifier: string;
  readonly vpc: ec2.IVpc;
  /** Encrypts storage, the master secret, Performance Insights and the exported logs. */
  readonly key: kms.IKey;
  readonly instanceType: ec2.InstanceType;
  readonly multiAz: boolean;
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling; above `allocatedStorageGiB`. */
  readonly maxAllocatedStorageGiB: number;
  /** Point-in-time recovery window (1-35 days). */
  readonly backupRetention: Duration;
  /** Daily backup window, UTC, `hh24:mi-hh24:mi`. */
  readonly preferredBackupWindow: string;
  /** Weekly maintenance window, UTC, `ddd:hh24:mi-ddd:hh24:mi`. */
  readonly preferredMaintenanceWindow: string;
  readonly deletionProtection: boolean;
  /** RETAIN or SNAPSHOT; the database is never simply destroyed. */
  readonly removalPolicy: RemovalPolicy.RETAIN | RemovalPolicy.SNAPSHOT;
  readonly databaseName: string;
  readonly masterUsername: string;
  /** Statements slower than this are logged. */
  readonly slowStatementThreshold: Duration;
  readonly monitoringInterval: Duration;
  readonly performanceInsightRetention: rds.PerformanceInsightRetention;
  readonly logRetention: logs.RetentionDays;
  /** Automated backups replicated to another region. @default - not replicated */
  readonly backupReplication?: BackupReplication;
}

/**
 * The authentication service's PostgreSQL 15 database, hardened for production: encrypted with our key,
 * TLS only, IAM authentication, RDS-managed master secret, PITR with automated backups replicated to the
 * DR region, no network path but from clients admitted with `client.connections.allowTo(database, ...)`.
 */
export class AuthDatabase extends Construct implements ec2.IConnectable {
  readonly instance: rds.DatabaseInstance;
  readonly securityGroup: ec2.SecurityGroup;
  readonly parameterGroup: rds.ParameterGroup;
  /** Name of the parameter group, for restores that must get the same settings. */
  readonly parameterGroupName: string;
  readonly subnetGroup: rds.SubnetGroup;
  readonly instanceIdentifier: string;
  /** The enhanced-monitoring role: the delayed replica shares it, and a restored instance gets it too. */
  readonly monitoringRole: iam.IRole;
  /** Its security group, PostgreSQL's port by default. */
  readonly connections: ec2.Connections;

  constructor(scope: Construct, id: string, props: AuthDatabaseProps) {
    super(scope, id);
    validate(this, props);

    const engine = rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION });
    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'authdb: TLS only, connection and slow-statement logging',
      parameters: {
        'rds.force_ssl': '1',
        log_connections: '1',
        log_disconnections: '1',
        log_min_duration_statement: String(props.slowStatementThreshold.toMilliseconds()),
        log_lock_waits: '1',
        log_statement: 'ddl',
      },
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      // Deployed as is (the method it names is now database-parts' reachPostgres): a new description replaces the group.
      description: 'authdb PostgreSQL: admits only security groups granted with allowConnectionsFrom',
      allowAllOutbound: false,
    });
    this.subnetGroup = new rds.SubnetGroup(this, 'Subnets', {
      vpc: props.vpc,
      description: 'authdb: isolated subnets only',
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const logGroups = exportedLogGroups(this, props.instanceIdentifier, props);
    const monitoringRole = enhancedMonitoringRole(this, 'MonitoringRole');
    // The id the role had when the L2 made it (Database/Resource/MonitoringRole): the recovery stack imports its ARN,
    // and CloudFormation refuses to remove an export in use, so a new id would fail the database stack's deploy.
    (monitoringRole.node.defaultChild as iam.CfnRole).overrideLogicalId('DatabaseMonitoringRole916BA924');
    this.monitoringRole = monitoringRole;

    this.instance = new rds.DatabaseInstance(this, 'Resource', {
      instanceIdentifier: props.instanceIdentifier,
      engine,
      instanceType: props.instanceType,
      vpc: props.vpc,
      subnetGroup: this.subnetGroup,
      securityGroups: [this.securityGroup],
      port: POSTGRES_PORT,
      publiclyAccessible: false,
      multiAz: props.multiAz,
      databaseName: props.databaseName,
      // RDS keeps the master password in Secrets Manager, encrypted with our key, and rotates it itself.
      credentials: rds.Credentials.fromUsername(props.masterUsername, { encryptionKey: props.key }),
      manageMasterUserPassword: true,
      iamAuthentication: true,
      parameterGroup: this.parameterGroup,
      storageType: rds.StorageType.GP3,
      allocatedStorage: props.allocatedStorageGiB,
      maxAllocatedStorage: props.maxAllocatedStorageGiB,
      storageEncrypted: true,
      storageEncryptionKey: props.key,
      backupRetention: props.backupRetention,
      preferredBackupWindow: props.preferredBackupWindow,
      preferredMaintenanceWindow: props.preferredMaintenanceWindow,
      copyTagsToSnapshot: true,
      deleteAutomatedBackups: false,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
      autoMinorVersionUpgrade: false,
      cloudwatchLogsExports: [...EXPORTED_LOGS],
      enablePerformanceInsights: true,
      performanceInsightEncryptionKey: props.key,
      performanceInsightRetention: props.performanceInsightRetention,
      monitoringInterval: props.monitoringInterval,
      monitoringRole: this.monitoringRole,
    });

    this.instanceIdentifier = props.instanceIdentifier;
    this.connections = this.instance.connections;
    // Bound to the instance above already (binding is idempotent): the name restores give their instances.
    this.parameterGroupName = this.parameterGroup.bindToInstance({}).parameterGroupName;
    for (const logGroup of logGroups) this.instance.node.addDependency(logGroup);
    this.acknowledgeFindings(props);

    if (props.backupReplication) {
      // Escape hatch, not on the L2: replicate automated backups so that point-in-time restore also works in the DR
      // region.
      const cfn = this.instance.node.defaultChild as rds.CfnDBInstance;
      cfn.automaticBackupReplicationRegion = props.backupReplication.region;
      cfn.automaticBackupReplicationKmsKeyId = props.backupReplication.key.keyArn;
      cfn.automaticBackupReplicationRetentionPeriod = props.backupReplication.retention.toDays();
    }
  }

  private acknowledgeFindings(props: AuthDatabaseProps): void {
    const ack = (id: string, reason: string) => Validations.of(this.instance).acknowledge({ id, reason });
    ack(
      'AwsSolutions::AwsSolutions-RDS11',
      'Port 5432 is kept for the application and PostgreSQL tooling; the port is reachable only from security ' +
        'groups admitted explicitly, in isolated subnets, so a non-default port would hide nothing.',
    );
    const pinned =
      `The engine's minor version is pinned in code (${POSTGRES_VERSION.postgresFullVersion}) and upgraded by a ` +
      'reviewed change after a DR drill on the new version; automatic upgrades would drift from the template.';
    ack('HIPAA.Security::HIPAA.Security-RDSAutomaticMinorVersionUpgradeEnabled', pinned);
    const inPlan =
      'The AWS Backup plan that selects this instance (continuous, daily, weekly, monthly rules) is in the ' +
      "environment's backup stack, which this per-stack rule cannot see; test/stacks/backup-stack.test.ts proves it.";
    ack('NIST.800.53.R5::NIST.800.53.R5-RDSInBackupPlan', inPlan);
    ack('HIPAA.Security::HIPAA.Security-RDSInBackupPlan', inPlan);
    if (!props.multiAz) {
      const reason =
        'Single-AZ by configuration in this non-production environment to halve its cost; prod is Multi-AZ.';
      ack('AwsSolutions::AwsSolutions-RDS3', reason);
      ack('NIST.800.53.R5::NIST.800.53.R5-RDSMultiAZSupport', reason);
      ack('HIPAA.Security::HIPAA.Security-RDSMultiAZSupport', reason);
    }
    if (!props.deletionProtection) {
      const reason =
        'Deletion protection is off by configuration in this non-production environment so it can be torn down; ' +
        'the removal policy still takes a final snapshot, and prod has deletion protection on.';
      ack('AwsSolutions::AwsSolutions-RDS10', reason);
      ack('NIST.800.53.R5::NIST.800.53.R5-RDSInstanceDeletionProtectionEnabled', reason);
      ack('HIPAA.Security::HIPAA.Security-RDSInstanceDeletionProtectionEnabled', reason);
    }
  }

  /** Lets `grantee` log in as `dbUser` with IAM database authentication. */
  grantConnect(grantee: iam.IGrantable, dbUser: string): iam.Grant {
    return this.instance.grantConnect(grantee, dbUser);
  }
}

function validate(scope: Construct, props: AuthDatabaseProps): void {
  if (!/^[a-z][a-z0-9-]{0,37}$/.test(props.instanceIdentifier) || /--|-$/.test(props.instanceIdentifier)) {
    throw new Error(
      `${scope.node.path}: instanceIdentifier must be 1-38 lowercase letters, digits or single hyphens starting ` +
        `with a letter (room for a cutover suffix), but got "${props.instanceIdentifier}"`,
    );
  }
  const retention = props.backupRetention.toDays();
  if (retention < 1 || retention > 35) {
    throw new Error(`${scope.node.path}: ` + `backupRetention must be between 1 and 35 days, but got ${retention}`);
  }
  if (!Token.isUnresolved(props.maxAllocatedStorageGiB) && props.maxAllocatedStorageGiB <= props.allocatedStorageGiB) {
    throw new Error(
      `${scope.node.path}: maxAllocatedStorageGiB must be above allocatedStorageGiB (${props.allocatedStorageGiB}), ` +
        `but got ${props.maxAllocatedStorageGiB}`,
    );
  }
  const replicated = props.backupReplication?.retention.toDays();
  if (replicated !== undefined && (replicated < 1 || replicated > 35)) {
    throw new Error(
      `${scope.node.path}: ` + `backupReplication.retention must be between 1 and 35 days, but got ${replicated}`,
    );
  }
}
