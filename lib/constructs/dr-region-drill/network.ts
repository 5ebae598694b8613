import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { POSTGRES_PORT, POSTGRES_VERSION } from '../auth-database.js';
import { closedSecurityGroup } from '../workflow-parts/network.js';
import type { ScratchPlacement } from '../workflow-parts/scratch-lifecycle.js';
import type { DrRegionDrillProps } from './props.js';

/** Where scratch instances go in the DR region: the DR VPC's isolated subnets, behind the verifier-only group. */
export function scratchPlacement(
  scope: Construct,
  props: DrRegionDrillProps,
): ScratchPlacement & { readonly securityGroup: ec2.SecurityGroup } {
  const securityGroup = closedSecurityGroup(
    scope,
    'ScratchSecurityGroup',
    props.vpc,
    'authdb DR-region drill scratch instances: PostgreSQL from the verifier only',
  );
  securityGroup.connections.allowFrom(
    props.lambdaSecurityGroup,
    ec2.Port.tcp(POSTGRES_PORT),
    'DR-region drill verifier',
  );
  const subnetGroup = new rds.SubnetGroup(scope, 'ScratchSubnets', {
    vpc: props.vpc,
    description: 'authdb DR-region drill scratch instances: isolated subnets',
    vpcSubnets: props.subnets,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // The primary's parameter group lives in the primary region: scratch instances get one here, TLS only too.
  const parameterGroup = new rds.ParameterGroup(scope, 'ScratchParameters', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION }),
    description: 'authdb DR-region drill scratch instances: TLS only',
    parameters: { 'rds.force_ssl': '1' },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return {
    securityGroup,
    subnetGroupName: subnetGroup.subnetGroupName,
    parameterGroupName: parameterGroup.bindToInstance({}).parameterGroupName,
  };
}
