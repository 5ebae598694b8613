import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { workflowEnvironment } from '../function-environment.js';
import type { LambdaFunction } from '../lambda-function.js';
import { reportEnvironment } from '../workflow-parts/report.js';
import { type ScratchDeleters, scratchDeleters, scratchRestoreFunction } from '../workflow-parts/scratch-lifecycle.js';
import { verifierEnvironment, verifierTimeout } from '../workflow-parts/verifier.js';
import { workflowFunctions } from '../workflow-parts.js';
import type { DrillNetwork } from './network.js';
import type { DrDrillWorkflowProps } from './props.js';

export type DrillFunctions = Record<'preflight' | 'verifier' | 'restore' | 'status' | 'report', LambdaFunction> &
  Omit<ScratchDeleters, 'deadLetters'>;

/**
 * The drill's functions (construct ids from the folder names: DrillPreflight, DrillVerifier, …; part of the logical
 * ids, never rename them) and the dead-letter queue of the deleters.
 */
export function drillFunctions(
  scope: Construct,
  props: DrDrillWorkflowProps,
  network: DrillNetwork,
): { functions: DrillFunctions; deleters: ScratchDeleters } {
  const db = props.database;
  const fn = workflowFunctions(scope, props);
  const preflight = fn('drill-preflight', 'drill preflight (source, concurrency, RPO lag)', {
    environment: workflowEnvironment('drill-preflight', { SOURCE_INSTANCE_ID: db.instanceIdentifier }),
  });
  const verifier = fn('drill-verifier', 'drill verifier (row counts, read-only, TLS, IAM auth)', {
    vpc: props.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    securityGroups: [network.verifierSecurityGroup],
    timeout: verifierTimeout(props),
    environment: workflowEnvironment(
      'drill-verifier',
      verifierEnvironment({ ...props, verifierUser: props.verifierRole }),
    ),
  });
  const restore = scratchRestoreFunction(
    fn,
    'drill-restore',
    'drill restore into a scratch instance',
    props.instanceClass,
    {
      securityGroup: network.scratchSecurityGroup,
      subnetGroupName: network.subnetGroupName,
      parameterGroupName: db.parameterGroupName,
    },
  );
  const status = fn('instance-status', 'one look at an instance status');
  const report = fn('drill-report', 'drill report (S3, metrics, SNS)', {
    environment: workflowEnvironment('drill-report', {
      ...reportEnvironment(props),
      RPO_TARGET_SECONDS: props.rpoTarget.toSeconds(),
    }),
  });
  const deleters = scratchDeleters(scope, fn, {
    drill: 'drill',
    key: props.key,
    deadLettersId: 'CleanupDeadLetters',
    sweeperMaxAgeHours: props.sweeperMaxAge.toHours(),
  });
  const { cleanup, sweeper } = deleters;
  return { functions: { preflight, verifier, restore, status, report, cleanup, sweeper }, deleters };
}
