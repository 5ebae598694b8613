import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { postgresClientGroup, serverOf } from '../../lib/constructs/database-parts.js';
import { testApp } from '../support/app.js';

const env = { account: '111111111111', region: 'ap-northeast-2' };
const DESCRIBE = { group: 'the client', egress: 'to the server', ingress: 'from the client' };

/** A server construct (its security group inside) in `stack`, as the database constructs are. */
function server(stack: Stack, vpc: ec2.IVpc) {
  const owner = new Construct(stack, 'Server');
  return Object.assign(owner, {
    securityGroup: new ec2.SecurityGroup(owner, 'SecurityGroup', { vpc, allowAllOutbound: false }),
  });
}

describe('postgresClientGroup', () => {
  it('closes the group but for PostgreSQL to the server, and the server admits it (same stack)', () => {
    const stack = new Stack(testApp(), 'S', { env });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    const db = server(stack, vpc);
    postgresClientGroup(stack, 'Client', vpc, serverOf(db), DESCRIBE);
    const template = Template.fromStack(stack);
    const clientId = stack.getLogicalId(stack.node.findChild('Client').node.defaultChild as ec2.CfnSecurityGroup);
    // Closed: no allow-all egress; the one rule out is the PostgreSQL rule below.
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'the client',
      SecurityGroupEgress: Match.absent(),
    });
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'));
    expect(egress).toHaveLength(1);
    expect(egress[0].Properties).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      Description: 'to the server',
      GroupId: { 'Fn::GetAtt': [clientId, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^ServerSecurityGroup/), 'GroupId'] },
    });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({
      FromPort: 5432,
      ToPort: 5432,
      Description: 'from the client',
      SourceSecurityGroupId: { 'Fn::GetAtt': [clientId, 'GroupId'] },
    });
  });

  it("puts the server's ingress rule in the client's stack, named after the server construct (a pinned id)", () => {
    const app = testApp();
    const databaseStack = new Stack(app, 'Database', { env });
    const vpc = new ec2.Vpc(databaseStack, 'Vpc', { natGateways: 0 });
    const db = server(databaseStack, vpc);
    const clientStack = new Stack(app, 'Client', { env });
    postgresClientGroup(clientStack, 'Client', vpc, serverOf(db), DESCRIBE);

    expect(Template.fromStack(databaseStack).findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    const ingress = Template.fromStack(clientStack).findResources('AWS::EC2::SecurityGroupIngress');
    expect(Object.keys(ingress)).toEqual([expect.stringMatching(/^ClientToDatabaseServer/)]);
    expect(Object.values(ingress)[0].Properties).toMatchObject({ Description: 'from the client', FromPort: 5432 });
  });
});
