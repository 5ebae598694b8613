import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { DRILL_PREFIX } from '../../../contract/tags.js';
import type { LambdaFunction } from '../lambda-function.js';
import { DRILL_TAG_REQUESTED, deleteDrillInstances, drillInstancesArn, rdsArn } from '../rds-guard.js';
import { type Acknowledgement, allow, nagResource } from './grants.js';
import type { ScratchDeleters } from './scratch-lifecycle.js';

/** Why a `db:drill-*` resource is acceptable: the prefix is the guard itself. */
function drillInstances(scope: Construct): Acknowledgement {
  return [
    nagResource(scope, 'rds', 'db', `${DRILL_PREFIX}*`),
    'db:drill-* is the guard itself: only scratch instances (prefix), and for deletes only with the drill tag.',
  ];
}

export interface ScratchRestoreGrant {
  readonly actions: string[];
  /** What is restored from (the source instance, its snapshots or replicated backups), with their acknowledgements. */
  readonly sources: string[];
  readonly sourceAcks: Acknowledgement[];
  readonly subnetGroupName: string;
  readonly parameterGroupName: string;
  /** Keys RDS needs a grant on to restore (sid `keySid`). */
  readonly keys: kms.IKey[];
  readonly keySid: string;
}

/**
 * Restoring only into instances named drill-… and created with the drill tag, in the drill's subnet and parameter
 * groups; tagging them on creation; letting RDS use the keys of what it restores.
 */
export function allowRestoreIntoScratch(scope: Construct, restore: LambdaFunction, g: ScratchRestoreGrant): void {
  restore.role.addToPolicy(
    new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [drillInstancesArn(scope)] }),
  );
  allow(
    restore,
    new iam.PolicyStatement({
      sid: 'RestoreIntoDrillInstancesOnly',
      actions: g.actions,
      resources: [
        drillInstancesArn(scope),
        ...g.sources,
        rdsArn(scope, 'subgrp', g.subnetGroupName),
        rdsArn(scope, 'pg', g.parameterGroupName),
        rdsArn(scope, 'og', 'default:postgres-15'),
      ],
      conditions: DRILL_TAG_REQUESTED,
    }),
    drillInstances(scope),
    ...g.sourceAcks,
  );
  restore.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'TagDrillInstancesOnCreate',
      actions: ['rds:AddTagsToResource'],
      resources: [drillInstancesArn(scope)],
      conditions: DRILL_TAG_REQUESTED,
    }),
  );
  restore.role.addToPolicy(
    new iam.PolicyStatement({
      sid: g.keySid,
      actions: ['kms:CreateGrant', 'kms:DescribeKey'],
      resources: g.keys.map((k) => k.keyArn),
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  );
}

/**
 * Deleting only tagged drill instances, for both deleters; the sweeper also reads its drill's executions (to see
 * whether a scratch instance's drill still runs).
 */
export function allowScratchDeletes(
  scope: Construct,
  d: Pick<ScratchDeleters, 'cleanup' | 'sweeper'>,
  drill: { stateMachineName: string; executionsArn: string },
): void {
  for (const deleter of [d.cleanup, d.sweeper]) allow(deleter, deleteDrillInstances(scope), drillInstances(scope));
  allow(
    d.sweeper,
    new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [drill.executionsArn] }),
    [
      nagResource(scope, 'states', 'execution', `${drill.stateMachineName}:*`),
      `Executions of ${drill.stateMachineName} only, to see whether a scratch instance's drill still runs.`,
    ],
  );
}
