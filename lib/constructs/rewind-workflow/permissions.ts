import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { dbUserArn, grantReport } from '../promotion-parts.js';
import { denyDestructiveOn, rdsArn } from '../rds-guard.js';
import type { RewindFunctions } from './functions.js';
import type { RewindWorkflowProps } from './props.js';

/** Least privilege: control touches only the replica and its parameter group; replay only logs in to the replica. */
export function grantRewindPermissions(scope: Construct, props: RewindWorkflowProps, f: RewindFunctions): void {
  const { control, replay, report } = f;
  const replica = props.replica;
  control.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'RebootPromoteAndDescribeTheDelayedReplicaOnly',
      actions: ['rds:RebootDBInstance', 'rds:PromoteReadReplica', 'rds:DescribeDBInstances'],
      resources: [replica.instance.instanceArn],
    }),
  );
  control.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'SetTheRecoveryTargetOfTheDelayedReplicaOnly',
      actions: ['rds:ModifyDBParameterGroup'],
      resources: [rdsArn(scope, 'pg', replica.parameterGroupName)],
    }),
  );
  control.role.addToPolicy(denyDestructiveOn(props.database.instance.instanceArn));
  replay.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ConnectToTheDelayedReplicaAsReplayControlOrVerifier',
      actions: ['rds-db:connect'],
      resources: [
        dbUserArn(scope, replica.resourceId, props.replayControlRole),
        dbUserArn(scope, replica.resourceId, props.verifierRole),
      ],
    }),
  );
  grantReport(report, {
    bucket: props.reportBucket,
    prefix: 'rewinds',
    key: props.key,
    topic: props.alertTopic,
    execution: 'rewind',
  });
}
