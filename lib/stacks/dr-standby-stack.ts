import { ArnFormat, CfnOutput, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { databaseKey, enhancedMonitoringRole, POSTGRES_VERSION } from '../constructs/database-parts.js';
import { Network } from '../constructs/network.js';
import { StandbyReplica } from '../constructs/standby-replica.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

/**
 * Stateful resources for region loss, in the DR region: a database key of this region, the DR network (isolated
 * subnets, flow logs, no NAT, no internet gateway), the subnet group, security group and parameter group every
 * database here uses (the standby and instances the failover restores), and the warm standby where config enables
 * it. Deploys after the database stack (the standby's source). No interface endpoints: the only function in this VPC,
 * the failover verifier, calls no AWS API (it signs its IAM database token locally) and talks only to PostgreSQL.
 */
export class DrStandbyStack extends EnvironmentStack {
  readonly key: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly subnetGroup: rds.SubnetGroup;
  /** Admits PostgreSQL only from clients admitted with `client.connections.allowTo(databaseSecurityGroup, ...)`. */
  readonly databaseSecurityGroup: ec2.SecurityGroup;
  readonly parameterGroup: rds.ParameterGroup;
  /** Physical name of `parameterGroup`, for restores. */
  readonly parameterGroupName: string;
  /** ARN of the primary instance (in the primary region); named for guards, never called at run time. */
  readonly primaryInstanceArn: string;
  readonly standby?: StandbyReplica;
  /** The enhanced-monitoring role of the DR-region databases. */
  readonly monitoringRole: iam.IRole;

  constructor(scope: Construct, id: string, props: EnvironmentStackProps) {
    super(scope, id, props);
    const { config } = props;
    const site = config.drSite;
    const key = databaseKey(this, 'DatabaseKey', {
      alias: `authdb-dr/${config.name}/dr-database`,
      description: `authdb ${config.name}: DR-region databases (standby, failover restores), their logs and reports`,
      administration: this.keyAdministration,
    });
    this.key = key;
    this.vpc = new Network(this, 'Network', {
      availabilityZones: this.availabilityZones,
      cidr: site.vpcCidr,
      logKey: key,
      logRetention: config.logRetentionDays,
    }).vpc;
    this.subnetGroup = new rds.SubnetGroup(this, 'Subnets', {
      vpc: this.vpc,
      description: 'authdb DR region: isolated subnets only',
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc: this.vpc,
      description: 'authdb DR-region databases: admit only security groups granted explicitly',
      allowAllOutbound: false,
    });
    const engine = rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION });
    this.parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'authdb DR region: TLS only, connection logging',
      parameters: { 'rds.force_ssl': '1', log_connections: '1', log_disconnections: '1', log_statement: 'ddl' },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The L2 creates the CloudFormation resource only when bound; bind it here so restores can name it.
    this.parameterGroupName = this.parameterGroup.bindToInstance({}).parameterGroupName;
    this.primaryInstanceArn = this.formatArn({
      service: 'rds',
      region: config.primaryRegion,
      resource: 'db',
      resourceName: `authdb-${config.name}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.monitoringRole = enhancedMonitoringRole(this, 'MonitoringRole');

    if (site.standby.enabled) {
      this.standby = new StandbyReplica(this, 'Standby', {
        environment: config.name,
        sourceInstanceArn: this.primaryInstanceArn,
        vpc: this.vpc,
        subnetGroup: this.subnetGroup,
        securityGroup: this.databaseSecurityGroup,
        parameterGroup: this.parameterGroup,
        instanceType: new ec2.InstanceType(site.standby.instanceClass.replace(/^db\./, '')),
        key,
        monitoringInterval: Duration.seconds(config.database.monitoringIntervalSeconds),
        monitoringRole: this.monitoringRole,
        logRetention: config.logRetentionDays,
        deletionProtection: config.database.deletionProtection,
      });
      new CfnOutput(this, 'StandbyEndpoint', {
        value: this.standby.instance.dbInstanceEndpointAddress,
        description: 'Read-only until a failover promotes it; then the writer endpoint in the DR region',
      });
    }
  }
}
