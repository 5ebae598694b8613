import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledgeWildcard } from '../nag.js';
import { DESTRUCTIVE_RDS_ACTIONS, rdsArn } from '../rds-guard.js';
import {
  type Acknowledgement,
  allow,
  allowConnectAsVerifier,
  allowDescribeAllInstances,
  allowWriteReports,
  nagResource,
} from '../workflow-parts/grants.js';
import { allowRestoreIntoScratch, allowScratchDeletes } from '../workflow-parts/scratch-grants.js';
import type { ScratchPlacement } from '../workflow-parts/scratch-lifecycle.js';
import type { DrRegionDrillFunctions } from './functions.js';
import type { DrRegionDrillProps } from './props.js';

/**
 * Each role only what its step needs, every wildcard acknowledged beside its statement; the primary and the standby
 * are denied explicitly to every function role. Statements are added per role in a fixed order (part of the
 * synthesized policies).
 */
export function grantDrRegionDrillPermissions(
  scope: Construct,
  props: DrRegionDrillProps,
  f: DrRegionDrillFunctions,
  at: { stateMachineName: string; stateMachineArn: string; executionsArn: string; placement: ScratchPlacement },
): void {
  const env = props.config.name;
  const standbyArn = rdsArn(scope, 'db', props.standbyInstanceId ?? `authdb-${env}-standby`);
  const neverTouch = new iam.PolicyStatement({
    sid: 'NeverTouchPrimaryOrStandby',
    effect: iam.Effect.DENY,
    actions: [...DESTRUCTIVE_RDS_ACTIONS, 'rds:PromoteReadReplica'],
    resources: [props.primaryInstanceArn, standbyArn],
  });
  for (const fn of Object.values(f)) fn.role.addToPolicy(neverTouch);
  allowDescribeAllInstances(scope, [f.preflight, f.status, f.cleanup, f.sweeper]);

  const replicatedBackups = rdsArn(scope, 'auto-backup', '*');
  const anyReplicatedBackup: Acknowledgement = [
    nagResource(scope, 'rds', 'auto-backup', '*'),
    'Replicated automated backups have generated ids (ab-...); the function finds them by source instance and only reads or restores from them.',
  ];
  allow(
    f.preflight,
    new iam.PolicyStatement({ actions: ['rds:DescribeDBInstanceAutomatedBackups'], resources: [replicatedBackups] }),
    anyReplicatedBackup,
  );
  f.preflight.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'IsThePrimaryReachable',
      actions: ['rds:DescribeDBInstances'],
      resources: [props.primaryInstanceArn],
    }),
  );
  f.preflight.role.addToPolicy(
    new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [at.stateMachineArn] }),
  );

  allowRestoreIntoScratch(scope, f.restore, {
    actions: ['rds:RestoreDBInstanceToPointInTime'],
    sources: [replicatedBackups],
    sourceAcks: [anyReplicatedBackup],
    subnetGroupName: at.placement.subnetGroupName,
    parameterGroupName: at.placement.parameterGroupName,
    keys: [props.key, ...(props.backupKeys ?? [])],
    keySid: 'LetRdsUseTheDrKey',
  });

  // Either region: the verifier counts the primary (when it answers) and the scratch instance.
  allowConnectAsVerifier(scope, f.verifier, props.config.drill.verifierRole, [
    Stack.of(scope).region,
    props.config.primaryRegion,
  ]);

  allowWriteReports(scope, f.report, props.reportBucket, 'drills');
  props.reportBucket.encryptionKey?.grantEncrypt(f.report.role);
  props.alertTopic.grantPublish(f.report.role);
  for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
    acknowledgeWildcard(
      f.report.role,
      `Action::${action}`,
      "CDK's grants to write to the encrypted report bucket and publish to the encrypted topic: their keys only.",
    );
  }

  allowScratchDeletes(scope, f, at);
  f.age.role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['states:ListExecutions', 'states:DescribeStateMachine'],
      resources: [at.stateMachineArn],
    }),
  );
}
