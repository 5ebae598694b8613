import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { LambdaFunction } from '../lambda-function.js';
import { databaseFunction, reportFunction } from '../promotion-parts.js';
import { workflowFunctions } from '../workflow-parts.js';
import type { FailoverWorkflowProps } from './props.js';

export type FailoverFunctions = Record<'control' | 'verify' | 'report', LambdaFunction>;

/**
 * The failover's functions. Construct ids come from the folder names (FailoverControl, FailoverVerify,
 * FailoverReport) and are part of the logical ids; the verifier's security group is `VerifierSecurityGroup`.
 */
export function failoverFunctions(
  scope: Construct,
  props: FailoverWorkflowProps,
): { functions: FailoverFunctions; verifierSecurityGroup: ec2.SecurityGroup } {
  const fn = workflowFunctions(scope, props);
  const control = fn('failover-control', 'failover: validate, promote or restore, watch the new writer', {
    environment: {
      PRIMARY_INSTANCE_ID: props.primaryInstanceId,
      STANDBY_INSTANCE_ID: props.standbyInstanceId,
      SUBNET_GROUP: props.subnetGroup.subnetGroupName,
      PARAMETER_GROUP: props.parameterGroupName,
      SECURITY_GROUP_ID: props.databaseSecurityGroup.securityGroupId,
      DR_VAULT_NAME: props.vault.backupVaultName,
      INSTANCE_CLASSES: JSON.stringify(props.instanceClasses),
      BACKUP_RETENTION_DAYS: String(props.backupRetention.toDays()),
      PROMOTE_TIMEOUT_SECONDS: String(props.promoteTimeout.toSeconds()),
      RESTORE_TIMEOUT_SECONDS: String(props.restoreTimeout.toSeconds()),
    },
  });
  const verifier = databaseFunction(
    scope,
    fn,
    'failover-verify',
    'failover: verify the new writer (TLS, IAM auth, read-only role)',
    {
      vpc: props.vpc,
      securityGroup: {
        id: 'VerifierSecurityGroup',
        description: 'authdb failover verifier: PostgreSQL to the DR-region databases only',
      },
      // The DR standby stack owns the databases' security group (the rule's id is deployed: keep it).
      database: { owner: Stack.of(props.databaseSecurityGroup), securityGroup: props.databaseSecurityGroup },
      why: 'failover verifier (read-only role) to the DR-region databases',
      environment: {
        DATABASE_NAME: props.databaseName,
        VERIFIER_USER: props.verifierRole,
        TABLES: JSON.stringify(props.tables),
        CONCURRENCY: String(props.concurrency),
        STATEMENT_TIMEOUT_MS: String(props.statementTimeout.toMilliseconds()),
        MAX_DATA_AGE_SECONDS: String(props.maxDataAge.toSeconds()),
      },
    },
  );
  const report = reportFunction(fn, 'failover-report', 'failover report (S3, metrics, SNS)', props, {
    RPO_TARGET_SECONDS: String(props.rpoTarget.toSeconds()),
    DATABASE_NAME: props.databaseName,
  });
  return {
    functions: { control, verify: verifier.function, report },
    verifierSecurityGroup: verifier.securityGroup,
  };
}
