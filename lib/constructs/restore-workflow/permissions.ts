import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { stateMachineName } from '../../../contract/names.js';
import { CUTOVER_SUFFIX, RESTORED_INFIX } from '../../../contract/restore-input.js';
import { PURPOSE_RESTORED, TAG_PURPOSE } from '../../../contract/tags.js';
import type { LambdaFunction } from '../lambda-function.js';
import { acknowledgeWildcard } from '../nag.js';
import { DESTRUCTIVE_RDS_ACTIONS, denyDestructiveOn, rdsArn } from '../rds-guard.js';
import { grantCutover } from './cutover-permissions.js';
import type { RestoreFunctions } from './functions.js';
import type { RestoreWorkflowProps } from './props.js';

/**
 * Every permission of the restore functions, each wildcard with its cdk-nag acknowledgement beside it. Statements are
 * added per role in a fixed order (the order is part of the synthesized policies).
 */
export function grantRestorePermissions(
  scope: Construct,
  props: RestoreWorkflowProps,
  f: RestoreFunctions,
  executionsArn: string,
): void {
  const stack = Stack.of(scope);
  const db = props.database;
  const sourceId = db.instanceIdentifier;
  const productionArn = db.instance.instanceArn;
  // Restored instances are named <source>-restored…: the only names the restore roles may create, tag or change.
  const restoredInstances = rdsArn(scope, 'db', `${sourceId}${RESTORED_INFIX}*`);
  const preRestoreInstances = rdsArn(scope, 'db', `${sourceId}${CUTOVER_SUFFIX}*`);
  const restoredTagged = { StringEquals: { [`aws:ResourceTag/${TAG_PURPOSE}`]: PURPOSE_RESTORED } };
  const restoredRequested = { StringEquals: { [`aws:RequestTag/${TAG_PURPOSE}`]: PURPOSE_RESTORED } };
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  // `executionsArn` as cdk-nag names it in a finding.
  const executionsFinding = `Resource::arn:${partition}:states:${stack.region}:${stack.account}:execution:${stateMachineName(props.environment, 'restore')}:*`;
  const at = (resource: string, name: string, region = stack.region) =>
    `Resource::arn:${partition}:rds:${region}:${stack.account}:${resource}:${name}`;
  const allow = (fn: LambdaFunction, statement: iam.PolicyStatement, ...acks: [finding: string, reason: string][]) => {
    fn.role.addToPolicy(statement);
    for (const [finding, reason] of acks) acknowledgeWildcard(fn.role, finding, reason);
  };
  const restoredAck: [string, string] = [
    at('db', `${sourceId}${RESTORED_INFIX}*`),
    `Restored instances are named ${sourceId}${RESTORED_INFIX}… by rule (the input is validated): the pattern is ` +
      'the guard, together with the restored tag (request or resource condition).',
  ];
  const snapshotsAck: [string, string] = [
    at('snapshot', '*'),
    'Snapshots and recovery points of the source have generated names; restoring only reads one.',
  ];

  // Only the cutover role may touch production, and even it can never delete, reboot or stop anything.
  for (const fn of [f.validate, f.start, f.finish, f.report, ...(f.approval ? [f.approval] : [])]) {
    fn.role.addToPolicy(denyDestructiveOn(productionArn));
    // Nobody but the cutover touches production; not even its tags (a restored tag would open other grants).
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'NeverTagProduction',
        effect: iam.Effect.DENY,
        actions: ['rds:AddTagsToResource', 'rds:RemoveTagsFromResource'],
        resources: [productionArn, preRestoreInstances],
      }),
    );
  }
  f.cutover.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'NeverDeleteRebootOrStop',
      effect: iam.Effect.DENY,
      actions: DESTRUCTIVE_RDS_ACTIONS.filter((a) => a !== 'rds:ModifyDBInstance'),
      resources: ['*'],
    }),
  );
  acknowledgeWildcard(
    f.cutover.role,
    'Resource::*',
    'An explicit Deny of delete, reboot and stop on every instance; it grants nothing.',
  );
  const describe = new iam.PolicyStatement({
    actions: ['rds:DescribeDBInstances'],
    resources: [rdsArn(scope, 'db', '*')],
  });
  for (const fn of [f.validate, f.start, f.finish, f.cutover]) {
    allow(fn, describe, [
      at('db', '*'),
      'DescribeDBInstances without an identifier (listing) needs db:*; it reads metadata only.',
    ]);
  }
  allow(
    f.validate,
    new iam.PolicyStatement({
      actions: ['rds:DescribeDBSnapshots', 'rds:DescribeDBInstanceAutomatedBackups'],
      resources: [productionArn, rdsArn(scope, 'snapshot', '*'), rdsArn(scope, 'auto-backup', '*')],
    }),
    snapshotsAck,
    [at('auto-backup', '*'), 'Automated-backup ids are generated; read-only.'],
  );
  allow(
    f.start,
    new iam.PolicyStatement({
      sid: 'RestoreIntoNewTaggedInstances',
      actions: ['rds:RestoreDBInstanceToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot'],
      resources: [
        restoredInstances,
        productionArn,
        rdsArn(scope, 'snapshot', '*'),
        rdsArn(scope, 'subgrp', db.subnetGroup.subnetGroupName),
        rdsArn(scope, 'pg', db.parameterGroupName),
        rdsArn(scope, 'og', 'default:postgres-15'),
      ],
      conditions: restoredRequested,
    }),
    restoredAck,
    snapshotsAck,
  );
  allow(
    f.start,
    new iam.PolicyStatement({
      sid: 'TagRestoredInstancesOnCreate',
      actions: ['rds:AddTagsToResource'],
      resources: [restoredInstances],
      conditions: restoredRequested,
    }),
  );
  allow(
    f.start,
    new iam.PolicyStatement({
      sid: 'RdsManagedMasterSecret',
      actions: ['secretsmanager:CreateSecret', 'secretsmanager:TagResource'],
      resources: [
        stack.formatArn({
          service: 'secretsmanager',
          resource: 'secret',
          resourceName: 'rds!*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
    [
      `Resource::arn:${partition}:secretsmanager:${stack.region}:${stack.account}:secret:rds!*`,
      'RDS names the master secret it creates rds!db-<id>; only such secrets can be created.',
    ],
  );
  // Only through RDS (and Secrets Manager, for the master secret RDS creates): the roles cannot decrypt or hand
  // out grants on the database key directly.
  const keyServices = ['rds', 'secretsmanager'].map((s) => `${s}.${stack.region}.amazonaws.com`);
  for (const fn of [f.start, f.finish]) {
    fn.role.addToPolicy(new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [props.key.keyArn] }));
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LetRdsUseTheDatabaseKey',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': keyServices } },
      }),
    );
    fn.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'LetRdsGrantItselfTheDatabaseKey',
        actions: ['kms:CreateGrant'],
        resources: [props.key.keyArn],
        conditions: {
          Bool: { 'kms:GrantIsForAWSResource': 'true' },
          StringEquals: { 'kms:ViaService': keyServices },
        },
      }),
    );
  }
  grantFinish(scope, props, f.finish, restoredInstances, restoredTagged, restoredAck, at);
  grantCutover(scope, props, f.cutover, { productionArn, preRestoreInstances, restoredInstances, executionsArn });
  acknowledgeWildcard(f.cutover.role, ...restoredAck);
  acknowledgeWildcard(
    f.cutover.role,
    at('db', `${sourceId}${CUTOVER_SUFFIX}*`),
    'The source under its pre-restore name, so a failed cutover can give it its name back.',
  );
  acknowledgeWildcard(
    f.cutover.role,
    executionsFinding,
    "Executions of the restore state machine (generated names): the cutover reads its caller's, read-only.",
  );
  allow(
    f.report,
    new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [props.reportBucket.arnForObjects('restores/*')] }),
    [
      `Resource::<${stack.getLogicalId(props.reportBucket.node.defaultChild as s3.CfnBucket)}.Arn>/restores/*`,
      'Objects under the restores/ prefix of the report bucket, one a restore execution.',
    ],
  );
  allow(
    f.report,
    new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [props.key.keyArn] }),
  );
  for (const fn of [f.report, f.approval]) {
    if (!fn) continue;
    props.alertTopic.grantPublish(fn.role);
    acknowledgeWildcard(
      fn.role,
      'Action::kms:GenerateDataKey*',
      "CDK's grant to publish to the encrypted alert topic: the topic key only.",
    );
  }
  if (f.approval) {
    // It reads the execution it is asked about: only a running restore (or rewind, RewindCutover) gets an approval.
    allow(
      f.approval,
      new iam.PolicyStatement({
        sid: 'CheckTheAskingExecution',
        actions: ['states:DescribeExecution'],
        resources: [executionsArn],
      }),
      [
        executionsFinding,
        "Executions of the restore state machine (generated names): the approval reads the asking one's, read-only.",
      ],
    );
  }
  // The approval function needs nothing else: identity proofs are presigned by the approver and sent to STS as they
  // are, and GetCallerIdentity needs no permission. It can neither rename nor answer a task token itself.
}

function grantFinish(
  scope: Construct,
  props: RestoreWorkflowProps,
  finish: LambdaFunction,
  restoredInstances: string,
  restoredTagged: Record<string, unknown>,
  restoredAck: [string, string],
  at: (resource: string, name: string, region?: string) => string,
): void {
  finish.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ConfigureRestoredInstancesOnly',
      actions: ['rds:ModifyDBInstance', 'rds:AddTagsToResource', 'rds:StartDBInstanceAutomatedBackupsReplication'],
      resources: [restoredInstances],
      conditions: restoredTagged,
    }),
  );
  acknowledgeWildcard(finish.role, ...restoredAck);
  finish.role.addToPolicy(
    new iam.PolicyStatement({ actions: ['iam:PassRole'], resources: [props.database.monitoringRole.roleArn] }),
  );
  finish.role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'ReplicateIntoTheDrRegion',
      actions: ['rds:StartDBInstanceAutomatedBackupsReplication'],
      resources: [
        Stack.of(scope).formatArn({
          service: 'rds',
          region: props.drRegion,
          resource: 'auto-backup',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
    }),
  );
  acknowledgeWildcard(
    finish.role,
    at('auto-backup', '*', props.drRegion),
    'The replicated automated backups get a generated id in the DR region.',
  );
  finish.role.addToPolicy(
    new iam.PolicyStatement({ actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [props.drKey.keyArn] }),
  );
}
