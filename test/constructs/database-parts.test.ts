import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_PORT } from '../../lib/constructs/database-parts.js';
import { environmentStacks, templateOf } from '../support/app.js';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

const monitoringRoles = (template: Template) =>
  Object.keys(
    template.findResources('AWS::IAM::Role', {
      Properties: {
        AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'monitoring.rds.amazonaws.com' } }] },
      },
    }),
  );
const monitoringRoleOf = (template: Template) =>
  Object.fromEntries(
    Object.entries(template.findResources('AWS::RDS::DBInstance') as Resources).map(([id, r]) => [
      id,
      r.Properties.MonitoringRoleArn,
    ]),
  );

describe('database parts (prod)', () => {
  // One synth of the environment (slow on a busy machine) serves the template tests here.
  beforeAll(() => templateOf('prod', 'database'), 600_000);

  it('one explicit enhanced-monitoring role in the database stack, shared by the database and the delayed replica', () => {
    const template = templateOf('prod', 'database');
    const roles = monitoringRoles(template);
    // The id the L2's own role had: the recovery stack imports its ARN (restores pass it on).
    expect(roles).toEqual(['DatabaseMonitoringRole916BA924']);
    const arn = { 'Fn::GetAtt': ['DatabaseMonitoringRole916BA924', 'Arn'] };
    expect(Object.values(monitoringRoleOf(template))).toEqual([arn, arn]);
  });

  it("the DR standby uses its stack's explicit monitoring role", () => {
    const template = templateOf('prod', 'drStandby');
    const roles = monitoringRoles(template);
    expect(roles).toHaveLength(1);
    expect(Object.values(monitoringRoleOf(template))).toEqual([{ 'Fn::GetAtt': [roles[0], 'Arn'] }]);
  });

  it('admits a client of another stack through connections.allowTo, with both rules in the client stack', {
    timeout: 600_000,
  }, () => {
    const { database, recovery } = environmentStacks('dev');
    const client = new ec2.SecurityGroup(recovery, 'Client', { vpc: database.vpc, allowAllOutbound: false });
    client.connections.allowTo(database.database, ec2.Port.tcp(POSTGRES_PORT), 'a client');
    const clientTemplate = Template.fromStack(recovery);
    const clientId = Object.keys(clientTemplate.findResources('AWS::EC2::SecurityGroup')).find((id) =>
      id.startsWith('Client'),
    );
    const rule = { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, Description: 'a client' };
    clientTemplate.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      ...rule,
      SourceSecurityGroupId: { 'Fn::GetAtt': [clientId, 'GroupId'] },
    });
    clientTemplate.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      ...rule,
      GroupId: { 'Fn::GetAtt': [clientId, 'GroupId'] },
    });
    expect(Template.fromStack(database).findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
  });
});
