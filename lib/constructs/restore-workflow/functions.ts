import { Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { stsHost } from '../../../contract/identity-proof.js';
import { workflowEnvironment } from '../function-environment.js';
import type { LambdaFunction } from '../lambda-function.js';
import { reportEnvironment } from '../workflow-parts/report.js';
import { workflowFunctions } from '../workflow-parts.js';
import type { RestoreWorkflowProps } from './props.js';

export type RestoreFunctionName = 'validate' | 'start' | 'finish' | 'cutover' | 'report';
export type RestoreFunctions = Record<RestoreFunctionName, LambdaFunction> & {
  /** Asks for and checks the second person's approval of a cutover (only where one is required). */
  approval?: LambdaFunction;
};

/**
 * The restore workflow's own functions (the instance status and the verifier are the drill's). Construct ids come
 * from the folder names (RestoreValidate, RestoreStart, …) and are part of the logical ids: never rename them.
 */
export function restoreFunctions(
  scope: Construct,
  props: RestoreWorkflowProps,
  sourceId: string,
  stateMachineArn: string,
): RestoreFunctions {
  const fn = workflowFunctions(scope, props);
  const stack = Stack.of(scope);
  // Identity proofs are signed for this region's STS endpoint and must name a principal of this account.
  const identity = { STS_HOST: stsHost(stack.region, stack.urlSuffix), ACCOUNT: stack.account };
  const approvalTimeout = props.cutover.approvalTimeout;
  const validate = fn('restore-validate', 'restore input validation (before anything is created)', {
    environment: workflowEnvironment('restore-validate', {
      SOURCE_INSTANCE_ID: sourceId,
      ALLOWED_INSTANCE_CLASSES: props.allowedInstanceClasses,
      DATA_LOSS_ACK_AFTER_HOURS: props.cutover.dataLossAcknowledgementAfter.toMinutes() / 60,
      APPROVAL_REQUIRED: approvalTimeout !== undefined,
      ...identity,
    }),
  });
  const start = fn('restore-start', 'restore into a new instance with production settings');
  const finish = fn('restore-finish', 'restore follow-up settings and failure tagging', {
    environment: workflowEnvironment('restore-finish', {
      DR_REGION: props.drRegion,
      DR_KEY_ARN: props.drKey.keyArn,
      REPLICATION_RETENTION_DAYS: props.replicatedBackupRetention.toDays(),
    }),
  });
  const cutover = fn('restore-cutover', 'restore cutover (renames source and restored instance)', {
    environment: workflowEnvironment('restore-cutover', {
      SOURCE_INSTANCE_ID: sourceId,
      STATE_MACHINE_ARN: stateMachineArn,
    }),
  });
  const report = fn('restore-report', 'restore report (S3, metrics, SNS)', {
    environment: workflowEnvironment('restore-report', reportEnvironment(props)),
  });
  if (!approvalTimeout) return { validate, start, finish, cutover, report };
  const approval = fn('restore-approval', 'restore cutover approval (two-person rule)', {
    environment: workflowEnvironment('restore-approval', {
      ALERT_TOPIC_ARN: props.alertTopic.topicArn,
      APPROVAL_TIMEOUT_MINUTES: approvalTimeout.toMinutes(),
      // Only executions of this machine (and of the rewind's, added by RewindCutover) are approved.
      STATE_MACHINE_ARN: stateMachineArn,
      ...identity,
    }),
  });
  return { validate, start, finish, cutover, report, approval };
}
