import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { DRILL_PREFIX, PURPOSE_DRILL, TAG_PURPOSE } from '../../contract/tags.js';

/** Actions that would harm a running database: never granted to drill roles, denied on production explicitly. */
export const DESTRUCTIVE_RDS_ACTIONS = [
  'rds:DeleteDBInstance',
  'rds:ModifyDBInstance',
  'rds:RebootDBInstance',
  'rds:StopDBInstance',
] as const;

/** ARN of an RDS resource of this stack's account and region (`db`, `snapshot`, `subgrp`, `pg`, `og`). */
export function rdsArn(scope: Construct, resource: string, name: string): string {
  return Stack.of(scope).formatArn({
    service: 'rds',
    resource,
    resourceName: name,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** Every drill scratch instance (by identifier prefix). */
export function drillInstancesArn(scope: Construct): string {
  return rdsArn(scope, 'db', `${DRILL_PREFIX}*`);
}

/** Condition: the instance carries the drill tag. RDS evaluates it against the instance's current tags. */
export const DRILL_TAGGED = { StringEquals: { [`aws:ResourceTag/${TAG_PURPOSE}`]: PURPOSE_DRILL } };
/** Condition: the request creates the instance with the drill tag. */
export const DRILL_TAG_REQUESTED = { StringEquals: { [`aws:RequestTag/${TAG_PURPOSE}`]: PURPOSE_DRILL } };

/** Denies every destructive action on the production instance, whatever else a role is granted. */
export function denyDestructiveOn(productionInstanceArn: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'NeverTouchProduction',
    effect: iam.Effect.DENY,
    actions: [...DESTRUCTIVE_RDS_ACTIONS],
    resources: [productionInstanceArn],
  });
}

/** Deleting a drill scratch instance: only with the drill prefix AND the drill tag. */
export function deleteDrillInstances(scope: Construct): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'DeleteDrillScratchOnly',
    actions: ['rds:DeleteDBInstance'],
    resources: [drillInstancesArn(scope)],
    conditions: DRILL_TAGGED,
  });
}
