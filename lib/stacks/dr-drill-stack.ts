import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DrRegionDrill } from '../constructs/dr-region-drill.js';
import { ReportBucket } from '../constructs/report-bucket.js';
import { standbyIdentifier } from '../constructs/standby-replica.js';
import type { DrRecoveryStack } from './dr-recovery-stack.js';
import { EnvironmentStack, type EnvironmentStackProps } from './environment-stack.js';

export interface DrDrillStackProps extends EnvironmentStackProps {
  /** The DR-region control plane: network, verifier security group, key, alert topic and report bucket. */
  readonly recovery: DrRecoveryStack;
  /** The key the replicated automated backups are encrypted with (the DR region stack's replication key). */
  readonly replicationKey: kms.IKey;
}

/**
 * The monthly DR-region drill, in a stack of its own: unlike the failover control plane (which must work with the
 * primary region gone, and holds no primary-region value), the drill reads the primary when it answers, to compare
 * exactly at one instant C. Stateless.
 */
export class DrDrillStack extends EnvironmentStack {
  readonly drill: DrRegionDrill;
  readonly reports: ReportBucket;

  constructor(scope: Construct, id: string, props: DrDrillStackProps) {
    super(scope, id, props);
    const { config, recovery } = props;
    // Its own bucket (retained), so its grants name a bucket of this stack.
    this.reports = new ReportBucket(this, 'Reports', {
      key: recovery.databaseKey,
      retention: Duration.days(config.drill.reportRetentionDays),
      writtenBy: 'the DR-region drill report function (one object an execution)',
      whyNoReplication:
        'This bucket is in the DR region already: the copy outside the primary region. Each report is also ' +
        'summarized by e-mail and its figures are CloudWatch metrics.',
    });
    this.drill = new DrRegionDrill(this, 'DrRegionDrill', {
      config,
      vpc: recovery.vpc,
      subnets: { subnets: recovery.isolatedSubnets },
      lambdaSecurityGroup: recovery.verifierSecurityGroup,
      key: recovery.databaseKey,
      backupKeys: [props.replicationKey],
      alertTopic: recovery.alertTopic,
      reportBucket: this.reports.bucket,
      primaryInstanceId: `authdb-${config.name}`,
      primaryInstanceArn: `arn:${this.partition}:rds:${config.primaryRegion}:${this.account}:db:authdb-${config.name}`,
      standbyInstanceId: standbyIdentifier(config.name),
    });
  }
}
