import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { PURPOSE_RESTORED, TAG_PURPOSE } from '../../../contract/tags.js';
import type { LambdaFunction } from '../lambda-function.js';
import { rdsArn } from '../rds-guard.js';
import type { RestoreWorkflowProps } from './props.js';

/** The cutover role: renames of production, its pre-restore name and restored instances, and nothing else. */
export function grantCutover(
  scope: Construct,
  props: RestoreWorkflowProps,
  cutover: LambdaFunction,
  arns: { productionArn: string; preRestoreInstances: string; restoredInstances: string; executionsArn: string },
): void {
  cutover.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'RenameSourceOrRestored',
      actions: ['rds:ModifyDBInstance'],
      resources: [arns.productionArn, arns.preRestoreInstances],
    }),
  );
  for (const statement of renameOnly(scope, props)) cutover.role.addToPolicy(statement);
  cutover.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'CheckTheCallingExecution',
      actions: ['states:DescribeExecution'],
      resources: [arns.executionsArn],
    }),
  );
  cutover.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'RenameRestoredInstances',
      actions: ['rds:ModifyDBInstance'],
      resources: [arns.restoredInstances],
      conditions: { StringEquals: { [`aws:ResourceTag/${TAG_PURPOSE}`]: PURPOSE_RESTORED } },
    }),
  );
}

/**
 * What the cutover role may do to an instance it can modify: rename it, nothing else, as far as RDS has condition
 * keys (see the README, "What the cutover role cannot do"). ModifyDBInstance authorizes a new parameter, option or
 * subnet group on that group's ARN, so denying the action on every group denies changing them; a request that
 * manages the master password carries rds:ManageMasterUserPassword; class and storage are the instance's keys.
 */
function renameOnly(scope: Construct, props: RestoreWorkflowProps): iam.PolicyStatement[] {
  const deny = (sid: string, resources: string[], conditions?: Record<string, unknown>) =>
    new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      actions: ['rds:ModifyDBInstance'],
      resources,
      ...(conditions ? { conditions } : {}),
    });
  return [
    deny(
      'NeverSwapGroups',
      ['pg', 'og', 'subgrp', 'secgrp'].map((type) => rdsArn(scope, type, '*')),
    ),
    deny('NeverChangeTheMasterPassword', ['*'], { Null: { 'rds:ManageMasterUserPassword': 'false' } }),
    deny('NeverChangeTheInstanceClass', ['*'], {
      Null: { 'rds:DatabaseClass': 'false' },
      StringNotEquals: { 'rds:DatabaseClass': props.cutoverInstanceClasses },
    }),
    deny('NeverGrowStorage', ['*'], { NumericGreaterThan: { 'rds:StorageSize': props.maxStorageGiB } }),
    deny('NeverUnencrypt', ['*'], { Bool: { 'rds:StorageEncrypted': 'false' } }),
  ];
}
