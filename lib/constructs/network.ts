import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface ExistingVpc {
  readonly vpcId: string;
  /** One isolated subnet per entry of `availabilityZones`, in the same order. */
  readonly isolatedSubnetIds: string[];
  /** Route tables of those subnets, in the same order. */
  readonly isolatedRouteTableIds: string[];
}

export interface NetworkProps {
  /** Zones to place subnets in; kept in config so that synth needs no lookup. */
  readonly availabilityZones: string[];
  /** CIDR of the VPC created here. */
  readonly cidr: string;
  /** Import this VPC by id instead of creating one. @default - a new VPC */
  readonly existingVpc?: ExistingVpc;
  /** Encrypts the flow logs of a created VPC. */
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The database's network: isolated subnets only (no internet route, no NAT), in at least two zones,
 * with all traffic recorded in flow logs.
 */
export class Network extends Construct {
  readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if (props.existingVpc) {
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Resource', {
        vpcId: props.existingVpc.vpcId,
        availabilityZones: props.availabilityZones,
        isolatedSubnetIds: props.existingVpc.isolatedSubnetIds,
        isolatedSubnetRouteTableIds: props.existingVpc.isolatedRouteTableIds,
      });
      return;
    }
    const vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: props.availabilityZones,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      // CDK closes the default security group (a small custom resource), as NIST SC-7 expects.
      restrictDefaultSecurityGroup: true,
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const flowLog = vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    const reason =
      "CDK's flow-log role policy: scoped to this VPC's flow-log group and owned by this one role, created and " +
      'deleted with it; a separate managed policy would grant the same.';
    // On the role (CDK creates it for the flow log): the finding is on its default policy.
    if (flowLog.iamRole) {
      Validations.of(flowLog.iamRole).acknowledge(
        { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason },
        { id: 'HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy', reason },
      );
    }
    this.vpc = vpc;
  }
}
