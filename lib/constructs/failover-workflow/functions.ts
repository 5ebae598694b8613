import { Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { workflowEnvironment } from '../function-environment.js';
import type { LambdaFunction } from '../lambda-function.js';
import { databaseFunction } from '../promotion-parts.js';
import { reportEnvironment } from '../workflow-parts/report.js';
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
    environment: workflowEnvironment('failover-control', {
      PRIMARY_INSTANCE_ID: props.primaryInstanceId,
      STANDBY_INSTANCE_ID: props.standbyInstanceId,
      SUBNET_GROUP: props.subnetGroup.subnetGroupName,
      PARAMETER_GROUP: props.parameterGroupName,
      SECURITY_GROUP_ID: props.databaseSecurityGroup.securityGroupId,
      DR_VAULT_NAME: props.vault.backupVaultName,
      INSTANCE_CLASSES: props.instanceClasses,
      BACKUP_RETENTION_DAYS: props.backupRetention.toDays(),
      PROMOTE_TIMEOUT_SECONDS: props.promoteTimeout.toSeconds(),
      RESTORE_TIMEOUT_SECONDS: props.restoreTimeout.toSeconds(),
    }),
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
      environment: workflowEnvironment('failover-verify', {
        DATABASE_NAME: props.databaseName,
        VERIFIER_USER: props.verifierRole,
        TABLES: props.tables,
        CONCURRENCY: props.concurrency,
        STATEMENT_TIMEOUT_MS: props.statementTimeout.toMilliseconds(),
        MAX_DATA_AGE_SECONDS: props.maxDataAge.toSeconds(),
      }),
    },
  );
  const report = fn('failover-report', 'failover report (S3, metrics, SNS)', {
    environment: workflowEnvironment('failover-report', {
      ...reportEnvironment(props),
      RPO_TARGET_SECONDS: props.rpoTarget.toSeconds(),
      DATABASE_NAME: props.databaseName,
    }),
  });
  return {
    functions: { control, verify: verifier.function, report },
    verifierSecurityGroup: verifier.securityGroup,
  };
}
