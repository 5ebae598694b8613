import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  VERIFIER_ROLE_RESOURCE_TYPE,
  VerifierRoleBootstrap,
  type VerifierRoleBootstrapProps,
} from '../../lib/constructs/verifier-role-bootstrap.js';
import type { DatabaseStack } from '../../lib/stacks/database-stack.js';
import { environmentStacks, nagViolations } from '../support/app.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

function addBootstrap(database: DatabaseStack, id = 'VerifierRole', props: Partial<VerifierRoleBootstrapProps> = {}) {
  return new VerifierRoleBootstrap(database, id, {
    vpc: database.vpc,
    database: database.database,
    key: database.key,
    roleName: 'authdb_verifier',
    databaseName: 'authdb',
    logRetention: logs.RetentionDays.ONE_MONTH,
    alertTopic: new sns.Topic(database, `${id}Alerts`, { masterKey: database.key, enforceSSL: true }),
    ...props,
  });
}

/** Logical id of the only resource of `type` whose id starts with `prefix`. */
function idOf(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0];
}

describe('VerifierRoleBootstrap', () => {
  let stacks: ReturnType<typeof environmentStacks>;
  let bootstrap: VerifierRoleBootstrap;
  let template: Template;
  let ids: {
    fn: string;
    role: string;
    reader: string;
    fnSg: string;
    endpointSg: string;
    stsSg: string;
    sts: string;
    dbSg: string;
    db: string;
    key: string;
  };

  beforeAll(() => {
    stacks = environmentStacks('dev');
    bootstrap = addBootstrap(stacks.database, 'VerifierRole', {
      schemas: ['public'],
      tables: [{ name: 'users', timeColumn: 'created_at', digestColumns: ['id', 'password_hash'] }],
    });
    template = Template.fromStack(stacks.database);
    ids = {
      fn: idOf(template, 'AWS::Lambda::Function', 'VerifierRoleFunction'),
      role: idOf(template, 'AWS::IAM::Role', 'VerifierRoleFunctionRole'),
      fnSg: idOf(template, 'AWS::EC2::SecurityGroup', 'VerifierRoleSecurityGroup'),
      endpointSg: idOf(template, 'AWS::EC2::SecurityGroup', 'VerifierRoleSecretsManagerEndpointSecurityGroup'),
      reader: idOf(template, 'AWS::IAM::Role', 'VerifierRoleSecretAccessReaderRole'),
      stsSg: idOf(template, 'AWS::EC2::SecurityGroup', 'VerifierRoleSecretAccessStsEndpointSecurityGroup'),
      sts: idOf(template, 'AWS::EC2::VPCEndpoint', 'VerifierRoleSecretAccessStsEndpoint'),
      dbSg: idOf(template, 'AWS::EC2::SecurityGroup', 'DatabaseSecurityGroup'),
      db: idOf(template, 'AWS::RDS::DBInstance', 'Database'),
      key: idOf(template, 'AWS::KMS::Key', 'DatabaseKey'),
    };
  });

  const secretArn = () => ({ 'Fn::GetAtt': [ids.db, 'MasterUserSecret.SecretArn'] });
  const groupId = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });
  const isolatedSubnets = () =>
    Object.keys(template.findResources('AWS::EC2::Subnet'))
      .filter((id) => id.startsWith('Networkisolated'))
      .map((id) => ({ Ref: id }));

  it('declares Custom::VerifierRole served directly by the function, with the role, database and endpoint', () => {
    const resources = template.findResources(VERIFIER_ROLE_RESOURCE_TYPE);
    expect(Object.keys(resources)).toHaveLength(1);
    const resource = Object.values(resources)[0] as Resource;
    expect(resource.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
      Role: 'authdb_verifier',
      Database: 'authdb',
      Host: { 'Fn::GetAtt': [ids.db, 'Endpoint.Address'] },
      Port: { 'Fn::GetAtt': [ids.db, 'Endpoint.Port'] },
      SecretArn: secretArn(),
      // The role the function assumes to read the secret, for one request.
      SecretReaderRoleArn: { 'Fn::GetAtt': [ids.reader, 'Arn'] },
      Schemas: ['public'],
      // The tables the verification functions may count and digest, as JSON text (CloudFormation keeps it as is).
      Tables: JSON.stringify([{ name: 'users', timeColumn: 'created_at', digestColumns: ['id', 'password_hash'] }]),
      Version: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    // No provider framework: the only functions in the stack are ours and CDK's default-SG restrictor.
    expect(
      Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('VerifierRole')),
    ).toHaveLength(1);
  });

  it('runs after the database, the network rules, the endpoints and the permissions it needs', () => {
    const resource = Object.values(template.findResources(VERIFIER_ROLE_RESOURCE_TYPE))[0] as Resource;
    const dependsOn = resource.DependsOn ?? [];
    const policy = idOf(template, 'AWS::IAM::Policy', 'VerifierRoleFunctionRoleDefaultPolicy');
    const readerPolicy = idOf(template, 'AWS::IAM::Policy', 'VerifierRoleSecretAccessReaderRoleDefaultPolicy');
    const endpoints = Object.keys(template.findResources('AWS::EC2::VPCEndpoint'));
    expect(endpoints).toHaveLength(3);
    const dbIngress = Object.entries(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter(([, r]) => JSON.stringify(r.Properties.SourceSecurityGroupId) === JSON.stringify(groupId(ids.fnSg)))
      .map(([id]) => id);
    expect(dependsOn).toEqual(
      expect.arrayContaining([ids.db, policy, ids.reader, readerPolicy, ids.stsSg, ...endpoints, ...dbIngress]),
    );
    // The database, the Secrets Manager endpoint and the STS endpoint admit the function.
    expect(dbIngress).toHaveLength(3);
  });

  it('keeps the role in the database when the resource is deleted (handled in code, not by retention)', () => {
    const resource = Object.values(template.findResources(VERIFIER_ROLE_RESOURCE_TYPE))[0] as {
      DeletionPolicy: string;
    };
    expect(resource.DeletionPolicy).toBe('Delete');
  });

  it('puts the function in the isolated subnets with its own security group, with a 2-minute timeout', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('authdb_verifier'),
      Timeout: 120,
      ReservedConcurrentExecutions: 1,
      VpcConfig: { SubnetIds: isolatedSubnets(), SecurityGroupIds: [groupId(ids.fnSg)] },
    });
    expect(isolatedSubnets()).toHaveLength(3);
  });

  it('creates a Secrets Manager endpoint for the reader role only, and an S3 endpoint for the response bucket only', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.ap-northeast-2.secretsmanager',
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: isolatedSubnets(),
      SecurityGroupIds: [groupId(ids.endpointSg)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 'secretsmanager:GetSecretValue',
            Resource: secretArn(),
            Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [ids.reader, 'Arn'] } } },
          },
        ],
      },
    });
    const routeTables = Object.keys(template.findResources('AWS::EC2::RouteTable'))
      .filter((id) => id.startsWith('Networkisolated'))
      .map((id) => ({ Ref: id }));
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      RouteTableIds: routeTables,
      // CloudFormation's pre-signed response URLs point into this bucket (region without dashes); nothing else.
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 's3:PutObject',
            Resource: 'arn:aws:s3:::cloudformation-custom-resource-response-apnortheast2/*',
          },
        ],
      },
    });
    expect(routeTables).toHaveLength(3);
  });

  const statementsOf = (prefix: string) => {
    const policy = idOf(template, 'AWS::IAM::Policy', prefix);
    return (template.toJSON().Resources[policy].Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
  };
  const readerArn = () => {
    const name = template.toJSON().Resources[ids.reader].Properties.RoleName as string;
    // A fixed name, so that the STS endpoint's policy can name the role the trust policy ties to that endpoint.
    return `arn:aws:iam::111111111111:role/${name}`;
  };

  it("gives the function's role no permission on the secret or its key: only AssumeRole of the reader, through STS's endpoint", () => {
    const statements = statementsOf('VerifierRoleFunctionRoleDefaultPolicy');
    const actions = statements.flatMap((s) => s.Action).map(String);
    expect(actions.filter((a) => /^(secretsmanager|kms|sts):/.test(a))).toEqual(['sts:AssumeRole']);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: readerArn(),
      Condition: { StringEquals: { 'aws:SourceVpce': { Ref: ids.sts } } },
    });
    // Nor does any managed policy of the role give it.
    const role = template.toJSON().Resources[ids.role].Properties;
    expect(JSON.stringify(role.ManagedPolicyArns)).not.toMatch(/SecretsManager|KMS/i);
  });

  it('lets the reader role read exactly the master secret through its endpoint only, and decrypt only through Secrets Manager for it', () => {
    const statements = statementsOf('VerifierRoleSecretAccessReaderRoleDefaultPolicy');
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: secretArn(),
        Condition: {
          StringEquals: {
            'aws:SourceVpce': { Ref: idOf(template, 'AWS::EC2::VPCEndpoint', 'VerifierRoleSecretsManagerEndpoint') },
          },
        },
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { 'Fn::GetAtt': [ids.key, 'Arn'] },
        Condition: {
          StringEquals: {
            'kms:ViaService': 'secretsmanager.ap-northeast-2.amazonaws.com',
            'kms:EncryptionContext:SecretARN': secretArn(),
          },
        },
      },
    ]);
    const reader = template.toJSON().Resources[ids.reader].Properties;
    expect(reader.ManagedPolicyArns).toBeUndefined();
    expect(reader.Policies).toBeUndefined();
  });

  it("trusts only the function's role, and only through the STS endpoint; that endpoint admits only this AssumeRole", () => {
    const reader = template.toJSON().Resources[ids.reader].Properties;
    expect(reader.RoleName).toMatch(/^[\w+=,.@-]{1,64}$/);
    expect(reader.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: { 'Fn::GetAtt': [ids.role, 'Arn'] } },
        Condition: { StringEquals: { 'aws:SourceVpce': { Ref: ids.sts } } },
      },
    ]);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.ap-northeast-2.sts',
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SubnetIds: isolatedSubnets(),
      SecurityGroupIds: [groupId(ids.stsSg)],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Action: 'sts:AssumeRole',
            Resource: readerArn(),
            Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [ids.role, 'Arn'] } } },
          },
        ],
      },
    });
    // The endpoint is reached from the function only.
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(groupId(ids.stsSg)));
    expect(ingress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: groupId(ids.fnSg),
      }),
    ]);
    expect(template.toJSON().Resources[ids.stsSg].Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('lets the function out only to PostgreSQL on the database and HTTPS to the endpoints; nothing in', () => {
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(groupId(ids.fnSg)));
    const rule = (to: Record<string, unknown>, port: number) =>
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: port, ToPort: port, ...to });
    expect(egress).toEqual(
      expect.arrayContaining([
        rule({ DestinationSecurityGroupId: groupId(ids.dbSg) }, 5432),
        rule({ DestinationSecurityGroupId: groupId(ids.endpointSg) }, 443),
        rule({ DestinationSecurityGroupId: groupId(ids.stsSg) }, 443),
      ]),
    );
    expect(egress).toHaveLength(3);
    const fnSg = template.toJSON().Resources[ids.fnSg].Properties;
    expect(fnSg.SecurityGroupIngress).toBeUndefined();
    // HTTPS to S3 (CloudFormation's response URL) through the gateway endpoint: the only other route there is.
    expect(fnSg.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    expect(ingress.filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(groupId(ids.fnSg)))).toEqual([]);
  });

  it('admits HTTPS to the Secrets Manager endpoint from the function only', () => {
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(groupId(ids.endpointSg)));
    expect(ingress).toEqual([
      expect.objectContaining({
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: groupId(ids.fnSg),
      }),
    ]);
    const endpointSg = template.toJSON().Resources[ids.endpointSg].Properties;
    expect(endpointSg.SecurityGroupIngress).toBeUndefined();
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: groupId(ids.dbSg),
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      SourceSecurityGroupId: groupId(ids.fnSg),
    });
  });

  it('exposes the pieces it made', () => {
    expect(bootstrap.roleName).toBe('authdb_verifier');
    expect(bootstrap.node.defaultChild === bootstrap.resource).toBe(true);
    expect(Stack.of(bootstrap.function.function)).toBe(stacks.database);
  });

  it('rejects names PostgreSQL would need quoting for and subnets without route tables', () => {
    const { database } = stacks;
    expect(() => addBootstrap(database, 'BadRole', { roleName: 'Verifier-Role' })).toThrow(
      /roleName must be a lowercase PostgreSQL name .* but got "Verifier-Role"/,
    );
    expect(() => addBootstrap(database, 'BadDb', { databaseName: '1db' })).toThrow(/databaseName .* but got "1db"/);
    expect(() => addBootstrap(database, 'BadSchema', { schemas: ['public', 'a.b'] })).toThrow(/schemas\[1\]/);
    // Config requires route tables with an existing VPC; without them (bypassing config) the recovery stack's
    // bootstrap cannot attach the S3 gateway endpoint and says so.
    const withoutRouteTables = () =>
      environmentStacks('dev', (config) => ({
        ...config,
        network: {
          ...config.network,
          existingVpc: {
            vpcId: 'vpc-1',
            isolatedSubnetIds: ['subnet-a', 'subnet-b', 'subnet-c'],
            isolatedRouteTableIds: undefined as unknown as string[],
          },
        },
      }));
    expect(withoutRouteTables).toThrow(/S3 gateway endpoint needs the route tables .* subnet-a, subnet-b, subnet-c/);
  });

  it('adds no cdk-nag finding (AwsSolutions, NIST 800-53 rev 5, HIPAA Security) to the database stack', () => {
    const fresh = environmentStacks('dev');
    addBootstrap(fresh.database);
    const violations = nagViolations(fresh.app).filter((v) => v.path.startsWith(`${fresh.database.stackName}/`));
    expect(violations).toEqual([]);
  });
});
