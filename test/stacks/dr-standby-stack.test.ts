import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { StandbyReplica } from '../../lib/constructs/standby-replica.js';
import { environmentStacks, templateOf } from '../support/app.js';

describe.each(['dev', 'staging', 'prod'] as const)('DR standby stack (%s)', (env) => {
  const config = loadConfig(env);
  const template = templateOf(env, 'drStandby');

  it('lives in the DR region and deploys after the database stack it replicates', () => {
    const { drStandby, database } = environmentStacks(env);
    expect(drStandby.region).toBe(config.drRegion);
    expect(drStandby.stackName).toBe(`authdb-dr-${env}-dr-standby`);
    expect(drStandby.dependencies).toContain(database);
    expect(drStandby.terminationProtection).toBe(env === 'prod');
  });

  it('has a VPC of isolated subnets in the configured DR zones, with flow logs, no NAT and no internet gateway', () => {
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: config.drSite.vpcCidr });
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    expect(subnets.map((s) => s.Properties.AvailabilityZone).sort()).toEqual([...config.availabilityZones.dr].sort());
    expect(subnets.every((s) => s.Properties.MapPublicIpOnLaunch === false)).toBe(true);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  it('pins the logical ids of its stateful resources', () => {
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual(['DatabaseKey01218F75']);
    expect(Object.keys(template.findResources('AWS::RDS::DBSubnetGroup'))).toEqual(['Subnets']);
    const instances = Object.keys(template.findResources('AWS::RDS::DBInstance'));
    expect(instances).toEqual(config.drSite.standby.enabled ? ['Standby8F20D495'] : []);
  });

  it('uses a parameter group that forces TLS', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres15',
      Parameters: { 'rds.force_ssl': '1' },
    });
  });
});

describe('the warm standby (prod)', () => {
  const config = loadConfig('prod');
  const template = templateOf('prod', 'drStandby');
  const standby = () => Object.values(template.findResources('AWS::RDS::DBInstance'))[0]!;

  it('is a cross-region read replica of the primary, named by ARN, encrypted with the DR-region key', () => {
    expect(standby().Properties).toMatchObject({
      DBInstanceIdentifier: 'authdb-prod-standby',
      SourceDBInstanceIdentifier: `arn:aws:rds:${config.primaryRegion}:${config.account}:db:authdb-prod`,
      KmsKeyId: { 'Fn::GetAtt': ['DatabaseKey01218F75', 'Arn'] },
      DBInstanceClass: config.drSite.standby.instanceClass,
      EnableIAMDatabaseAuthentication: true,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': ['DatabaseKey01218F75', 'Arn'] },
      MonitoringInterval: config.database.monitoringIntervalSeconds,
      DeletionProtection: true,
      PubliclyAccessible: false,
      DBSubnetGroupName: { Ref: 'Subnets' },
    });
    expect(standby().Properties.StorageEncrypted).toBeUndefined();
    expect(standby().DeletionPolicy).toBe('Retain');
  });

  it('refuses a source in its own region', () => {
    const { drStandby } = environmentStacks('dev');
    expect(
      () =>
        new StandbyReplica(drStandby, 'SameRegion', {
          environment: 'dev',
          sourceInstanceArn: `arn:aws:rds:${drStandby.region}:${drStandby.account}:db:authdb-dev`,
          vpc: drStandby.vpc,
          subnetGroup: drStandby.subnetGroup,
          securityGroup: drStandby.databaseSecurityGroup,
          parameterGroup: drStandby.parameterGroup,
          monitoringRole: drStandby.monitoringRole,
          instanceType: new ec2.InstanceType('t4g.medium'),
          key: drStandby.key,
          monitoringInterval: Duration.seconds(60),
          logRetention: 90,
          deletionProtection: false,
        }),
    ).toThrow(/the standby must be in another region than its source, but both are in ap-northeast-1/);
  });
});
