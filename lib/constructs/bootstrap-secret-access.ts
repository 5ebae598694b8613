import { Names, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeInlinePolicy } from './nag.js';

export interface BootstrapSecretAccessProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** The bootstrap function's role: the only principal that may assume the reader role. */
  readonly functionRole: iam.Role;
  /** The bootstrap function's security group: the only one that reaches the STS endpoint. */
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  /** The RDS-managed master secret. */
  readonly secretArn: string;
  /** The key that encrypts the secret. */
  readonly key: kms.IKey;
  /** The Secrets Manager endpoint the secret is read through. */
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
}

/**
 * The master secret's only reader: a role the bootstrap function assumes for one Create or Update (a 15-minute
 * session named after the CloudFormation request), through an STS interface endpoint in the isolated subnets. The
 * function's own role has no permission on the secret or its key, so its credentials read nothing between deploys.
 */
export class BootstrapSecretAccess extends Construct {
  readonly readerRole: iam.Role;
  /** Interface endpoint (private DNS) whose policy admits only the function assuming the reader role. */
  readonly stsEndpoint: ec2.InterfaceVpcEndpoint;
  /** ARN pattern of the reader role's sessions (CloudTrail's `userIdentity.arn`). */
  readonly readerSessionArns: string;

  constructor(scope: Construct, id: string, props: BootstrapSecretAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { functionRole } = props;

    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'StsEndpointSecurityGroup', {
      vpc: props.vpc,
      description: 'authdb STS endpoint: HTTPS from the verifier role bootstrap only',
      allowAllOutbound: false,
    });
    this.stsEndpoint = new ec2.InterfaceVpcEndpoint(this, 'StsEndpoint', {
      vpc: props.vpc,
      service: ec2.InterfaceVpcEndpointAwsService.STS,
      subnets: props.subnets,
      privateDnsEnabled: true,
      securityGroups: [endpointSecurityGroup],
      open: false,
    });
    this.stsEndpoint.connections.allowDefaultPortFrom(props.functionSecurityGroup, 'verifier role bootstrap');

    // A fixed name: the endpoint's policy names the role, and the role's trust names the endpoint (a Ref both ways
    // would be a cycle). Unique per stack and construct path; IAM role names are account-wide.
    const roleName = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    const readerRoleArn = stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: roleName,
    });
    this.readerRole = new iam.Role(this, 'ReaderRole', {
      roleName,
      description: 'authdb-dr: reads the RDS master secret, assumed by the verifier role bootstrap per Create/Update',
      // Only the function's role, and only through this VPC's STS endpoint.
      assumedBy: new iam.PrincipalWithConditions(new iam.ArnPrincipal(functionRole.roleArn), {
        StringEquals: { 'aws:SourceVpce': this.stsEndpoint.vpcEndpointId },
      }),
    });
    this.readerSessionArns = `arn:${stack.partition}:sts::${stack.account}:assumed-role/${roleName}/*`;

    this.stsEndpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['sts:AssumeRole'],
        resources: [readerRoleArn],
        conditions: { ArnEquals: { 'aws:PrincipalArn': functionRole.roleArn } },
      }),
    );
    functionRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [readerRoleArn],
        conditions: { StringEquals: { 'aws:SourceVpce': this.stsEndpoint.vpcEndpointId } },
      }),
    );

    // This secret only, only through this VPC's Secrets Manager endpoint (whose policy admits only this role).
    this.readerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [props.secretArn],
        conditions: { StringEquals: { 'aws:SourceVpce': props.secretsManagerEndpoint.vpcEndpointId } },
      }),
    );
    this.readerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [props.key.keyArn],
        conditions: {
          StringEquals: {
            'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com`,
            'kms:EncryptionContext:SecretARN': props.secretArn,
          },
        },
      }),
    );
    acknowledgeInlinePolicy(this.readerRole);
  }
}
