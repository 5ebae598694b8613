import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { admitPostgres } from '../../lib/constructs/database-parts.js';
import { environmentStacks, templateOf } from '../support/app.js';

const ENVIRONMENTS = ['dev', 'prod'] as const;

interface CfnResource {
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}

function onlyResource(
  template: Template,
  type: string,
): { id: string; props: Record<string, unknown>; resource: CfnResource } {
  // The delayed replica (prod) has its own test file; these tests are about the production database.
  const found = Object.entries(template.findResources(type)).filter(([id]) => !id.startsWith('DelayedReplica'));
  expect(found, `exactly one ${type}`).toHaveLength(1);
  const [id, resource] = found[0]!;
  return { id, props: resource.Properties, resource: resource as CfnResource };
}

describe.each(ENVIRONMENTS)('database stack (%s)', (env) => {
  const template = templateOf(env, 'database');
  const prod = env === 'prod';

  it('runs PostgreSQL 15 at a pinned minor version, private, TLS-only and with IAM authentication', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: '15.17',
      AutoMinorVersionUpgrade: false,
      DBInstanceIdentifier: `authdb-${env}`,
      DBName: 'authdb',
      Port: '5432',
      PubliclyAccessible: false,
      EnableIAMDatabaseAuthentication: true,
    });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres15',
      Parameters: {
        'rds.force_ssl': '1',
        log_connections: '1',
        log_disconnections: '1',
        log_min_duration_statement: '500',
      },
    });
  });

  it('encrypts storage, the RDS-managed master secret and Performance Insights with its own rotating key', () => {
    const key = onlyResource(template, 'AWS::KMS::Key');
    expect(key.props).toMatchObject({ EnableKeyRotation: true });
    expect(key.resource.DeletionPolicy).toBe('Retain');
    const keyArn = { 'Fn::GetAtt': [key.id, 'Arn'] };
    const db = onlyResource(template, 'AWS::RDS::DBInstance');
    expect(db.props).toMatchObject({
      StorageEncrypted: true,
      KmsKeyId: keyArn,
      ManageMasterUserPassword: true,
      MasterUserSecret: { KmsKeyId: keyArn },
      MasterUsername: 'authdb_admin',
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: keyArn,
      PerformanceInsightsRetentionPeriod: prod ? 731 : 7,
    });
    // No password in the template and no CDK-generated secret: RDS owns and rotates the master password.
    expect(db.props.MasterUserPassword).toBeUndefined();
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('exports its logs to encrypted log groups with retention, and has enhanced monitoring', () => {
    const db = onlyResource(template, 'AWS::RDS::DBInstance');
    expect(db.props.EnableCloudwatchLogsExports).toEqual(['postgresql', 'upgrade', 'iam-db-auth-error']);
    expect(db.props.MonitoringInterval).toBe(60);
    expect(db.props.MonitoringRoleArn).toBeDefined();
    for (const log of ['postgresql', 'upgrade', 'iam-db-auth-error']) {
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        LogGroupName: `/aws/rds/instance/authdb-${env}/${log}`,
        RetentionInDays: prod ? 365 : 90,
        KmsKeyId: { 'Fn::GetAtt': [onlyResource(template, 'AWS::KMS::Key').id, 'Arn'] },
      });
    }
    // The log groups exist before RDS would create them unencrypted.
    expect((db.resource.DependsOn ?? []).filter((d: string) => d.startsWith('DatabaseLogs'))).toHaveLength(3);
  });

  it('keeps automated backups for point-in-time recovery inside the backup window, and replicates them to the DR region', () => {
    const db = onlyResource(template, 'AWS::RDS::DBInstance');
    expect(db.props).toMatchObject({
      BackupRetentionPeriod: prod ? 35 : 7,
      PreferredBackupWindow: '18:00-18:30',
      PreferredMaintenanceWindow: 'sun:20:00-sun:20:30',
      CopyTagsToSnapshot: true,
      DeleteAutomatedBackups: false,
      AutomaticBackupReplicationRegion: 'ap-northeast-1',
      AutomaticBackupReplicationRetentionPeriod: prod ? 35 : 7,
    });
    // The DR key arrives through CDK's cross-region reference, not a hand-built ARN.
    expect(JSON.stringify(db.props.AutomaticBackupReplicationKmsKeyId)).toMatch(/ExportsReader.*ReplicationKey/);
  });

  it('sizes the instance by environment: Multi-AZ, deletion protection and RETAIN in prod only', () => {
    const db = onlyResource(template, 'AWS::RDS::DBInstance');
    expect(db.props).toMatchObject({
      DBInstanceClass: prod ? 'db.r6g.large' : 'db.t4g.medium',
      MultiAZ: prod,
      DeletionProtection: prod,
      StorageType: 'gp3',
      AllocatedStorage: prod ? '100' : '20',
      MaxAllocatedStorage: prod ? 1000 : 100,
    });
    expect(db.resource.DeletionPolicy).toBe(prod ? 'Retain' : 'Snapshot');
    expect(db.resource.UpdateReplacePolicy).toBe(prod ? 'Retain' : 'Snapshot');
  });

  it('places the database in isolated subnets of three zones, in a VPC with flow logs and no internet path', () => {
    const subnetGroup = onlyResource(template, 'AWS::RDS::DBSubnetGroup');
    const subnetIds = (subnetGroup.props.SubnetIds as { Ref: string }[]).map((s) => s.Ref);
    expect(subnetIds).toHaveLength(3);
    for (const id of subnetIds) {
      expect(template.toJSON().Resources[id].Properties.MapPublicIpOnLaunch).toBe(false);
    }
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'ap-northeast-2a' });
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'ap-northeast-2c' });
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  it('admits nothing into the database security group until a caller grants a peer', () => {
    const sg = onlyResource(template, 'AWS::EC2::SecurityGroup');
    expect(sg.props.SecurityGroupIngress).toBeUndefined();
    template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('outputs the endpoint, the instance id and the ARN (never the value) of the master secret', () => {
    const outputs = template.toJSON().Outputs;
    expect(outputs.DatabaseEndpoint.Value).toEqual({ 'Fn::GetAtt': ['DatabaseF44359DD', 'Endpoint.Address'] });
    expect(outputs.DatabaseInstanceId.Value).toBe(`authdb-${env}`);
    expect(outputs.MasterSecretArn.Value).toEqual({ 'Fn::GetAtt': ['DatabaseF44359DD', 'MasterUserSecret.SecretArn'] });
  });

  it('pins the logical ids of its stateful resources', () => {
    expect(onlyResource(template, 'AWS::RDS::DBInstance').id).toBe('DatabaseF44359DD');
    expect(onlyResource(template, 'AWS::KMS::Key').id).toBe('DatabaseKey01218F75');
  });

  it(`has termination protection ${prod ? 'on' : 'off'}`, () => {
    expect(environmentStacks(env).database.terminationProtection).toBe(prod);
  });
});

describe('database construct', () => {
  it('admits PostgreSQL from a granted security group only, on port 5432', () => {
    const { database } = environmentStacks('dev');
    const app = new ec2.SecurityGroup(database, 'App', { vpc: database.vpc });
    admitPostgres(database.database, database.database.securityGroup, app, 'the authentication service');
    const template = Template.fromStack(database);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      Description: 'the authentication service',
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^App/), 'GroupId'] },
    });
  });

  it('imports an existing VPC from ids in config, with no lookup', () => {
    const { database } = environmentStacks('dev', (c) => ({
      ...c,
      network: {
        ...c.network,
        existingVpc: {
          vpcId: 'vpc-0123456789abcdef0',
          isolatedSubnetIds: ['subnet-0000000a', 'subnet-0000000b', 'subnet-0000000c'],
          isolatedRouteTableIds: ['rtb-0000000a', 'rtb-0000000b', 'rtb-0000000c'],
        },
      },
    }));
    const template = Template.fromStack(database);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: ['subnet-0000000a', 'subnet-0000000b', 'subnet-0000000c'],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' });
  });

  it('rejects an instance identifier that leaves no room for the cutover suffix', () => {
    expect(() => environmentStacks('dev', (c) => ({ ...c, name: 'a-very-long-environment-name-for-tests' }))).toThrow(
      /instanceIdentifier must be 1-38 lowercase letters.*but got "authdb-a-very-long-environment-name-for-tests"/,
    );
  });
});
