import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { environmentStacks, templateOf } from '../support/app.js';

describe.each(['dev', 'staging', 'prod'] as const)('DR recovery stack (%s)', (env) => {
  const config = loadConfig(env);
  const template = templateOf(env, 'drRecovery');
  const json = JSON.stringify(template.toJSON());

  it('lives in the DR region as authdb-dr-ENV-dr-recovery', () => {
    const { drRecovery } = environmentStacks(env);
    expect(drRecovery.region).toBe(config.drRegion);
    expect(drRecovery.stackName).toBe(`authdb-dr-${env}-dr-recovery`);
  });

  it('holds no primary-region value: no region string, no cross-region reference, DR-region ARNs only', () => {
    expect(json).not.toContain(config.primaryRegion);
    // CDK's cross-region references are custom resources reading SSM parameters in the other region.
    expect(Object.values(template.toJSON().Resources).map((r: any) => r.Type)).not.toContain(
      'Custom::CrossRegionExportReader',
    );
    // Same-region imports only: from the DR-region stacks of this environment.
    const imports = [...json.matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map((m) => m[1]!.split(':')[0]);
    expect(imports.length).toBeGreaterThan(0);
    expect(new Set(imports)).toEqual(new Set([`authdb-dr-${env}-dr-standby`, `authdb-dr-${env}-dr-region`]));
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      for (const value of Object.values<unknown>(fn.Properties.Environment?.Variables ?? {})) {
        expect(JSON.stringify(value)).not.toContain(config.primaryRegion);
      }
    }
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        const resources = JSON.stringify(statement.Resource ?? '');
        expect(resources).not.toContain(config.primaryRegion);
        if (resources.includes('arn:aws:')) expect(resources).toMatch(new RegExp(`:${config.drRegion}:|arn:aws:s3:::`));
      }
    }
  });

  it('can promote only the standby, and restore only into tagged authdb-ENV-dr-* instances', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const promote = statements.filter((s: any) => [s.Action].flat().includes('rds:PromoteReadReplica'));
    expect(promote).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Resource: `arn:aws:rds:${config.drRegion}:${config.account}:db:authdb-${env}-standby`,
      }),
    ]);
    const restore = statements.filter((s: any) => [s.Action].flat().includes('rds:RestoreDBInstanceToPointInTime'));
    expect(restore).toHaveLength(1);
    expect(restore[0].Condition).toEqual({ StringEquals: { 'aws:RequestTag/authdb-dr:purpose': 'dr-failover' } });
  });

  it('alarms on the standby only where it exists, all to the DR-region topic, and on unsuccessful failovers', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.AlarmName);
    const standby = [`authdb-dr-${env}-standby-lag`, `authdb-dr-${env}-standby-not-available`];
    expect(alarms.sort()).toEqual(
      [`authdb-dr-${env}-failover-unsuccessful`, ...(config.drSite.standby.enabled ? standby : [])].sort(),
    );
    template.resourceCountIs('AWS::RDS::EventSubscription', config.drSite.standby.enabled ? 1 : 0);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('standby health alarms (prod)', () => {
  const config = loadConfig('prod');
  const template = templateOf('prod', 'drRecovery');

  it('fires on replica lag above the RPO target minus the margin, and when the lag is not reported', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'authdb-dr-prod-standby-lag',
      MetricName: 'ReplicaLag',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: 'authdb-prod-standby' }],
      Threshold: config.targets.rpoMinutes * 60 - config.drSite.standby.lagAlarmMarginSeconds,
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'authdb-dr-prod-standby-not-available',
      Statistic: 'SampleCount',
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::RDS::EventSubscription', {
      SourceIds: ['authdb-prod-standby'],
      EventCategories: Match.arrayWith(['availability', 'failure', 'read replica']),
    });
  });

  it('exports what a DR-region drill needs', () => {
    const { drRecovery } = environmentStacks('prod');
    expect(drRecovery.isolatedSubnets).toHaveLength(config.availabilityZones.dr.length);
    expect(drRecovery.verifierSecurityGroup).toBeDefined();
    expect(drRecovery.alertTopic.topicName).toBeDefined();
    expect(drRecovery.reports.bucket).toBeDefined();
    expect(drRecovery.databaseKey).toBeDefined();
  });
});
