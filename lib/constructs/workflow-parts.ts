import { type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { FunctionEntry } from '../../contract/env.js';
import { workflowBaseEnvironment } from './function-environment.js';
import { LambdaFunction, type LambdaFunctionProps } from './lambda-function.js';
import { acknowledgeInlinePolicy, acknowledgeWildcard } from './nag.js';

/** The pieces the drill and the restore workflow are both built from (JSONPath states; JSONata is not used). */

export interface WorkflowDefaults {
  readonly environment: string;
  /** Encrypts the functions' and the state machine's logs. */
  readonly key: kms.IKey;
  readonly logRetention: logs.RetentionDays;
}

/** A factory of this workflow's functions: `lambda/<entry>/handler.ts`, invoked by Step Functions unless told. */
export function workflowFunctions(scope: Construct, defaults: WorkflowDefaults) {
  return (entry: FunctionEntry, description: string, more: Partial<LambdaFunctionProps> = {}) =>
    new LambdaFunction(
      scope,
      entry.replace(/(^|-)(\w)/g, (_, _dash, c: string) => c.toUpperCase()),
      {
        entry,
        description: `authdb-dr ${defaults.environment}: ${description}`,
        logKey: defaults.key,
        logRetention: defaults.logRetention,
        invokedBy: 'step-functions',
        ...more,
        environment: { ...workflowBaseEnvironment(entry, defaults.environment), ...more.environment },
      },
    );
}

/** A Lambda task whose result (the function's own response) goes to `resultPath`; no payload = the whole state. */
export function invoke(
  scope: Construct,
  id: string,
  fn: LambdaFunction,
  payload: Record<string, unknown> | undefined,
  resultPath: string,
): tasks.LambdaInvoke {
  return new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn.function,
    payload: payload && sfn.TaskInput.fromObject(payload),
    payloadResponseOnly: true,
    resultPath,
  });
}

/** Records `$.error` = { Error, Cause } where the failure is a decision of the workflow, not a task's exception. */
export function recordError(scope: Construct, id: string, error: string, causePath: string): sfn.Pass {
  return new sfn.Pass(scope, id, { parameters: { Error: error, 'Cause.$': causePath }, resultPath: '$.error' });
}

/**
 * A step whose failure does not end the workflow: its error is kept at `errorPath` and the workflow goes on to
 * `onError` (by default where success goes, `next`).
 */
export function tolerateFailure<T extends sfn.TaskStateBase>(
  task: T,
  errorPath: string,
  next: sfn.IChainable,
  onError: sfn.IChainable = next,
): T {
  task.addCatch(onError, { resultPath: errorPath });
  task.next(next);
  return task;
}

/** Sets `path` to null (an optional result that does not exist on this path). */
export function setNull(scope: Construct, id: string, path: string): sfn.Pass {
  return new sfn.Pass(scope, id, { result: { value: null } as sfn.Result, resultPath: path });
}

/**
 * The first state: the function validates the input (`$`) against `$$.Execution` and returns the plan, which
 * replaces the input. Nothing exists yet, so a failure ends the execution at once with the function's own error.
 */
export function planningTask(
  scope: Construct,
  id: string,
  fn: LambdaFunction,
  failId: string,
  comment: string,
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, id, {
    lambdaFunction: fn.function,
    payload: sfn.TaskInput.fromObject({ 'input.$': '$', 'execution.$': '$$.Execution' }),
    payloadResponseOnly: true,
    // The default result path ('$'): the local interpreter mishandles an explicit '$'.
    resultSelector: { 'plan.$': '$' },
    comment,
  });
  task.addCatch(new sfn.Fail(scope, failId, { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
    resultPath: '$.error',
  });
  return task;
}

export interface WorkflowStateMachineProps extends WorkflowDefaults {
  readonly name: string;
  readonly comment: string;
  readonly start: sfn.IChainable;
  readonly timeout: Duration;
  /** Functions the definition invokes (for the acknowledgement of CDK's version wildcard on each). */
  readonly invokes: LambdaFunction[];
}

/** A Standard state machine with all events logged to an encrypted log group, and tracing on. */
export function workflowStateMachine(scope: Construct, props: WorkflowStateMachineProps): sfn.StateMachine {
  const machine = new sfn.StateMachine(scope, 'StateMachine', {
    stateMachineName: props.name,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromChainable(props.start),
    comment: props.comment,
    timeout: props.timeout,
    tracingEnabled: true,
    logs: {
      destination: new logs.LogGroup(scope, 'ExecutionLogs', {
        retention: props.logRetention,
        encryptionKey: props.key,
        // Kept when the stack goes: the executions' history is part of the audit trail.
        removalPolicy: RemovalPolicy.RETAIN,
      }),
      level: sfn.LogLevel.ALL,
      includeExecutionData: true,
    },
  });
  Validations.of(machine.role).acknowledge({
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason: 'Step Functions log delivery and X-Ray actions support no resource scoping.',
  });
  for (const fn of props.invokes) {
    acknowledgeWildcard(
      machine.role,
      `Resource::<${Stack.of(scope).getLogicalId(fn.function.node.defaultChild as lambda.CfnFunction)}.Arn>:*`,
      "CDK's LambdaInvoke grant: this function's versions and aliases, nothing else.",
    );
  }
  acknowledgeInlinePolicy(machine.role);
  return machine;
}
