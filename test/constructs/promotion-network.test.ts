import { beforeAll, describe, expect, it } from 'vitest';
import { templateOf } from '../support/app.js';

type Template = ReturnType<typeof templateOf>;
type Rule = Record<string, unknown>;

const groupId = (template: Template, prefix: string) => {
  const ids = Object.keys(template.findResources('AWS::EC2::SecurityGroup')).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return { 'Fn::GetAtt': [ids[0]!, 'GroupId'] };
};
/** Rules of `type` whose `field` is `value`. */
const rulesWhere = (template: Template, type: string, field: string, value: unknown): Rule[] =>
  Object.values(template.findResources(type) as Record<string, { Properties: Rule }>)
    .map((r) => r.Properties)
    .filter((p) => JSON.stringify(p[field]) === JSON.stringify(value));
/** The group id that stack `exporter` exports for the security group whose logical id starts with `group`. */
const imported = (exporter: string, group: string) => ({
  'Fn::ImportValue': expect.stringMatching(new RegExp(`^${exporter}:ExportsOutputFnGetAtt${group}[0-9A-F]{8}GroupId`)),
});
const postgres = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 };

/**
 * The promotion workflows reach their databases through connections.allowTo: the function's group sends PostgreSQL
 * only to the databases' group, that group admits it, and both rules live in the workflow's stack (a rule in the
 * database's stack would make it depend on its client: a cycle).
 */
describe('promotion workflows: PostgreSQL paths (prod)', () => {
  // One synth of the environment (slow on a busy machine) serves every test here.
  beforeAll(() => templateOf('prod', 'recovery'), 600_000);

  it('rewind: the replay function to the delayed replica only, both rules in the recovery stack', () => {
    const recovery = templateOf('prod', 'recovery');
    const replay = groupId(recovery, 'RewindReplaySecurityGroup');
    const replica = imported('authdb-dr-prod-database', 'DelayedReplicaSecurityGroup');
    expect(rulesWhere(recovery, 'AWS::EC2::SecurityGroupEgress', 'GroupId', replay)).toEqual([
      expect.objectContaining({ ...postgres, DestinationSecurityGroupId: replica }),
    ]);
    expect(rulesWhere(recovery, 'AWS::EC2::SecurityGroupIngress', 'SourceSecurityGroupId', replay)).toEqual([
      expect.objectContaining({ ...postgres, GroupId: replica }),
    ]);
    expect(Object.keys(templateOf('prod', 'database').findResources('AWS::EC2::SecurityGroupIngress'))).toEqual([]);
  });

  it('failover: the verifier to the DR-region databases only, both rules in the DR recovery stack', () => {
    const drRecovery = templateOf('prod', 'drRecovery');
    const verifier = groupId(drRecovery, 'FailoverVerifierSecurityGroup');
    const databases = imported('authdb-dr-prod-dr-standby', 'DatabaseSecurityGroup');
    expect(rulesWhere(drRecovery, 'AWS::EC2::SecurityGroupEgress', 'GroupId', verifier)).toEqual([
      expect.objectContaining({ ...postgres, DestinationSecurityGroupId: databases }),
    ]);
    expect(rulesWhere(drRecovery, 'AWS::EC2::SecurityGroupIngress', 'SourceSecurityGroupId', verifier)).toEqual([
      expect.objectContaining({ ...postgres, GroupId: databases }),
    ]);
    expect(Object.keys(templateOf('prod', 'drStandby').findResources('AWS::EC2::SecurityGroupIngress'))).toEqual([]);
  });
});
