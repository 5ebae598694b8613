import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { LambdaFunction } from '../lambda-function.js';
import { acknowledgeWildcard } from '../nag.js';
import { dbUserArn, grantReport, nagArn } from '../promotion-parts.js';
import { rdsArn } from '../rds-guard.js';
import type { FailoverFunctions } from './functions.js';
import type { FailoverWorkflowProps } from './props.js';

/** Tag the failover puts on instances it creates; kept in step with lambda/failover-control. */
const PURPOSE_TAG = { key: 'authdb-dr:purpose', value: 'dr-failover' };

const sameRegion = (what: string) => `${what}; every resource is of this region and account.`;

/**
 * Least privilege, all in this region: promote only the standby, restore only into `authdb-ENV-dr-*`. Each wildcard's
 * cdk-nag acknowledgement sits beside its statement; statements are added in a fixed order (part of the policies).
 */
export function grantFailoverPermissions(scope: Construct, props: FailoverWorkflowProps, f: FailoverFunctions): void {
  const { control, verify, report } = f;
  const allow = (fn: LambdaFunction, statement: iam.PolicyStatement, ...acks: [finding: string, reason: string][]) => {
    fn.role.addToPolicy(statement);
    for (const [finding, reason] of acks) acknowledgeWildcard(fn.role, finding, reason);
  };
  const targets = rdsArn(scope, 'db', `authdb-${props.environment}-dr-*`);
  const requested = { StringEquals: { [`aws:RequestTag/${PURPOSE_TAG.key}`]: PURPOSE_TAG.value } };

  allow(
    control,
    new iam.PolicyStatement({
      sid: 'DescribeInstancesAndReplicatedBackups',
      actions: ['rds:DescribeDBInstances', 'rds:DescribeDBInstanceAutomatedBackups'],
      resources: [rdsArn(scope, 'db', '*'), rdsArn(scope, 'auto-backup', '*')],
    }),
    [
      nagArn(scope, 'rds', 'db:*'),
      sameRegion('Describe calls name no instance in advance (the new writer is named by the input)'),
    ],
    [nagArn(scope, 'rds', 'auto-backup:*'), sameRegion('Replicated automated backups get ids RDS chooses')],
  );
  allow(
    control,
    new iam.PolicyStatement({
      sid: 'PromoteTheStandbyOnly',
      actions: ['rds:PromoteReadReplica'],
      resources: [rdsArn(scope, 'db', props.standbyInstanceId)],
    }),
  );
  allow(
    control,
    new iam.PolicyStatement({
      sid: 'RestoreIntoNewTaggedFailoverInstances',
      actions: ['rds:RestoreDBInstanceToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot'],
      resources: [
        targets,
        rdsArn(scope, 'auto-backup', '*'),
        rdsArn(scope, 'snapshot', 'awsbackup:*'),
        rdsArn(scope, 'subgrp', props.subnetGroup.subnetGroupName),
        rdsArn(scope, 'pg', props.parameterGroupName),
        rdsArn(scope, 'og', 'default:postgres-15'),
      ],
      conditions: requested,
    }),
    [
      nagArn(scope, 'rds', `db:authdb-${props.environment}-dr-*`),
      sameRegion('Only instances named authdb-ENV-dr-* and tagged as failover instances on creation'),
    ],
    // auto-backup:* is acknowledged with the describe statement above (one acknowledgement a finding and role).
    [nagArn(scope, 'rds', 'snapshot:awsbackup:*'), sameRegion('AWS Backup names its recovery points')],
  );
  allow(
    control,
    new iam.PolicyStatement({
      sid: 'TagFailoverInstancesOnCreate',
      actions: ['rds:AddTagsToResource'],
      resources: [targets],
      conditions: requested,
    }),
  );
  allow(
    control,
    new iam.PolicyStatement({
      sid: 'ListRecoveryPointsOfTheDrVault',
      actions: ['backup:ListRecoveryPointsByBackupVault'],
      resources: [props.vault.backupVaultArn],
    }),
  );
  const throughRds = sameRegion('RDS re-encrypting the restored storage, only through RDS (kms:ViaService)');
  allow(
    control,
    new iam.PolicyStatement({
      sid: 'KeysOfTheRestoredBackupsThroughRds',
      actions: ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      resources: props.sourceKeys.map((k) => k.keyArn),
      conditions: { StringEquals: { 'kms:ViaService': `rds.${Stack.of(scope).region}.amazonaws.com` } },
    }),
    ['Action::kms:GenerateDataKey*', throughRds],
    ['Action::kms:ReEncrypt*', throughRds],
  );

  allow(
    verify,
    new iam.PolicyStatement({
      sid: 'ConnectAsTheReadOnlyVerifier',
      actions: ['rds-db:connect'],
      resources: [dbUserArn(scope, '*', props.verifierRole)],
    }),
    [
      nagArn(scope, 'rds-db', `dbuser:*/${props.verifierRole}`),
      'The read-only verifier role on whichever instance becomes the writer (its resource id exists only then).',
    ],
  );

  grantReport(report, {
    bucket: props.reportBucket,
    prefix: 'failovers',
    key: props.key,
    topic: props.alertTopic,
    execution: 'failover',
  });
}
