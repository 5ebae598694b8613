import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { environmentStacks, templateOf } from '../support/app.js';

type Resources = Record<
  string,
  { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }
>;

const replicaOf = (template: Template) => {
  const found = Object.entries(template.findResources('AWS::RDS::DBInstance') as Resources).filter(([id]) =>
    id.startsWith('DelayedReplica'),
  );
  expect(found).toHaveLength(1);
  return { id: found[0]![0], ...found[0]![1] };
};

const groupOf = (template: Template, ref: unknown) => {
  const id = (ref as { Ref: string }).Ref;
  return (template.findResources('AWS::RDS::DBParameterGroup') as Resources)[id]!;
};

describe('delayed replica (prod)', () => {
  const template = templateOf('prod', 'database');

  it('follows the production database in its region, encrypted, IAM auth, monitored, never public', () => {
    const replica = replicaOf(template);
    expect(replica.Properties).toMatchObject({
      DBInstanceIdentifier: 'authdb-prod-delayed',
      DBInstanceClass: 'db.r6g.large',
      SourceDBInstanceIdentifier: {
        'Fn::Join': ['', [expect.stringContaining(':db:'), { Ref: expect.stringMatching(/^Database/) }]],
      },
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseKey/), 'Arn'] },
      EnableIAMDatabaseAuthentication: true,
      PubliclyAccessible: false,
      MonitoringInterval: 60,
      EnablePerformanceInsights: true,
      AutoMinorVersionUpgrade: false,
    });
    // CloudFormation rejects StorageEncrypted on a replica; the key above is what encrypts it.
    expect(replica.Properties).not.toHaveProperty('StorageEncrypted');
  });

  it('has its own parameter group: commits applied 60 minutes late, TLS only', () => {
    const group = groupOf(template, replicaOf(template).Properties.DBParameterGroupName);
    expect(group.Properties).toMatchObject({
      Family: 'postgres15',
      Parameters: { recovery_min_apply_delay: '3600000', 'rds.force_ssl': '1' },
    });
  });

  it('admits no connection until the rewind or readiness functions are granted one', () => {
    const sg = replicaOf(template).Properties.VPCSecurityGroups as { 'Fn::GetAtt': [string, string] }[];
    const group = (template.findResources('AWS::EC2::SecurityGroup') as Resources)[sg[0]!['Fn::GetAtt'][0]]!;
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('is recreated by the next deploy after a rewind: a new generation is a new replica and parameter group, the promoted ones are kept', () => {
    const next = Template.fromStack(
      environmentStacks('prod', (c) => ({ ...c, delayedReplica: { ...c.delayedReplica, generation: 2 } })).database,
    );
    const before = replicaOf(template);
    const after = replicaOf(next);
    // A new DBInstanceIdentifier and a new parameter group description both make CloudFormation replace the resource.
    expect(after.Properties.DBInstanceIdentifier).toBe('authdb-prod-delayed-g2');
    const oldGroup = groupOf(template, before.Properties.DBParameterGroupName);
    const newGroup = groupOf(next, after.Properties.DBParameterGroupName);
    expect(newGroup.Properties.Description).not.toBe(oldGroup.Properties.Description);
    expect(newGroup.Properties.Parameters).toEqual(oldGroup.Properties.Parameters);
    // Replacement keeps the old (promoted) instance and its group rather than deleting them.
    for (const resource of [before, after, oldGroup, newGroup]) {
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
    }
  });
});

describe('delayed replica elsewhere', () => {
  it('is not created where config leaves it off (dev)', () => {
    const ids = Object.keys(templateOf('dev', 'database').findResources('AWS::RDS::DBInstance'));
    expect(ids.filter((id) => id.startsWith('DelayedReplica'))).toEqual([]);
  });
});
