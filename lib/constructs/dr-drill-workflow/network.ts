import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { POSTGRES_PORT } from '../auth-database.js';
import { reachPostgres, serverOf } from '../database-parts.js';
import { closedSecurityGroup } from '../workflow-parts/network.js';
import type { DrDrillWorkflowProps } from './props.js';

export interface DrillNetwork {
  /** Security group of the scratch instances: admits only the verifier. */
  readonly scratchSecurityGroup: ec2.SecurityGroup;
  readonly verifierSecurityGroup: ec2.SecurityGroup;
  /** Isolated subnets of the scratch instances. */
  readonly subnetGroupName: string;
}

/** The verifier reaches PostgreSQL on the production instance and on scratch instances, nothing else. */
export function drillNetwork(scope: Construct, props: DrDrillWorkflowProps): DrillNetwork {
  const db = props.database;
  const verifierSecurityGroup = closedSecurityGroup(
    scope,
    'VerifierSecurityGroup',
    props.vpc,
    'authdb drill verifier: PostgreSQL to the database and drill instances only',
  );
  const scratchSecurityGroup = closedSecurityGroup(
    scope,
    'ScratchSecurityGroup',
    props.vpc,
    'authdb drill scratch instances: PostgreSQL from the verifier only',
  );
  scratchSecurityGroup.addIngressRule(verifierSecurityGroup, ec2.Port.tcp(POSTGRES_PORT), 'drill verifier');
  verifierSecurityGroup.addEgressRule(scratchSecurityGroup, ec2.Port.tcp(POSTGRES_PORT), 'scratch instances');
  reachPostgres(verifierSecurityGroup, serverOf(db), {
    egress: 'production database',
    ingress: 'drill verifier (read-only role)',
  });
  const subnetGroup = new rds.SubnetGroup(scope, 'ScratchSubnets', {
    vpc: props.vpc,
    description: 'authdb drill scratch instances: isolated subnets',
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return { scratchSecurityGroup, verifierSecurityGroup, subnetGroupName: subnetGroup.subnetGroupName };
}
