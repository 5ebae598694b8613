import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';

/** A security group with no outbound rule until one is added: workflow functions reach only what they name. */
export function closedSecurityGroup(scope: Construct, id: string, vpc: ec2.IVpc, description: string) {
  return new ec2.SecurityGroup(scope, id, { vpc, description, allowAllOutbound: false });
}
