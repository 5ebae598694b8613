import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledgeWildcard } from '../nag.js';
import { denyDestructiveOn, rdsArn } from '../rds-guard.js';
import {
  allowConnectAsVerifier,
  allowDescribeAllInstances,
  allowWriteReports,
  nagResource,
} from '../workflow-parts/grants.js';
import { allowRestoreIntoScratch, allowScratchDeletes } from '../workflow-parts/scratch-grants.js';
import type { DrillFunctions } from './functions.js';
import type { DrDrillWorkflowProps } from './props.js';

/**
 * Each role only what its step needs, every wildcard acknowledged beside its statement; production is denied
 * explicitly to every drill role. Statements are added per role in a fixed order (part of the synthesized policies).
 */
export function grantDrillPermissions(
  scope: Construct,
  props: DrDrillWorkflowProps,
  f: DrillFunctions,
  at: { stateMachineName: string; stateMachineArn: string; executionsArn: string; subnetGroupName: string },
): void {
  const db = props.database;
  const productionArn = db.instance.instanceArn;
  const snapshots: [string, string] = [
    nagResource(scope, 'rds', 'snapshot', '*'),
    'Snapshots of the source have generated names (rds:..., awsbackup:job-...); restoring from one only reads it.',
  ];
  for (const fn of Object.values(f)) fn.role.addToPolicy(denyDestructiveOn(productionArn));
  allowDescribeAllInstances(scope, [f.preflight, f.status, f.cleanup, f.sweeper]);

  f.preflight.role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['rds:DescribeDBSnapshots'],
      resources: [productionArn, rdsArn(scope, 'snapshot', '*')],
    }),
  );
  acknowledgeWildcard(f.preflight.role, ...snapshots);
  f.preflight.role.addToPolicy(
    new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [at.stateMachineArn] }),
  );

  allowRestoreIntoScratch(scope, f.restore, {
    actions: ['rds:RestoreDBInstanceToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot'],
    sources: [productionArn, rdsArn(scope, 'snapshot', '*')],
    sourceAcks: [snapshots],
    subnetGroupName: at.subnetGroupName,
    parameterGroupName: db.parameterGroupName,
    keys: [props.key],
    keySid: 'LetRdsUseTheDatabaseKey',
  });

  allowConnectAsVerifier(scope, f.verifier, props.verifierRole);

  allowWriteReports(scope, f.report, props.reportBucket, 'drills');
  f.report.role.addToPolicy(
    new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [props.key.keyArn] }),
  );
  props.alertTopic.grantPublish(f.report.role);
  acknowledgeWildcard(
    f.report.role,
    'Action::kms:GenerateDataKey*',
    "CDK's grant to publish to the encrypted alert topic: the topic key only, which SNS needs to encrypt messages.",
  );

  allowScratchDeletes(scope, f, at);
}
