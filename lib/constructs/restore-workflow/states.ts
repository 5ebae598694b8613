import type { Duration } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { LambdaFunction } from '../lambda-function.js';
import { type InstanceLookFlag, instanceEnd, pollUntil } from '../workflow-parts/poll.js';
import { invoke as invokeLambda, recordError } from '../workflow-parts.js';
import type { RestoreWorkflowProps } from './props.js';

/** The state builders the restore definition and its cutover share; every state is created in `scope`. */
export interface RestoreStates {
  readonly scope: Construct;
  invoke(
    id: string,
    fn: LambdaFunction,
    payload: Record<string, unknown> | undefined,
    resultPath: string,
  ): tasks.LambdaInvoke;
  /** One look at an instance (the drill's status function) into `$.target`. */
  status(id: string, instanceId: string, since: string, maxWait: Duration, renaming?: boolean): tasks.LambdaInvoke;
  failWith(id: string, error: string, cause: string): sfn.Pass;
  /** Wait, look, and go on when `ready`; a failed or timed-out look records the error and goes to `onFailure`. */
  waitLoop(
    name: string,
    check: tasks.LambdaInvoke,
    ready: sfn.Condition,
    next: sfn.IChainable,
    onFailure: sfn.IChainable,
    what: string,
    maxWait: Duration,
  ): sfn.Wait;
}

export function restoreStates(scope: Construct, props: RestoreWorkflowProps): RestoreStates {
  const invoke: RestoreStates['invoke'] = (id, fn, payload, resultPath) =>
    invokeLambda(scope, id, fn, payload, resultPath);
  const failWith: RestoreStates['failWith'] = (id, error, cause) => recordError(scope, id, error, cause);
  return {
    scope,
    invoke,
    failWith,
    status: (id, instanceId, since, maxWait, renaming = false) =>
      invoke(
        id,
        props.statusFunction,
        {
          'instanceId.$': instanceId,
          'since.$': since,
          maxWaitSeconds: maxWait.toSeconds(),
          ...(renaming ? { missingIsPending: true } : {}),
        },
        '$.target',
      ),
    waitLoop: (name, check, ready, next, onFailure, what, maxWait) => {
      const end = (flag: InstanceLookFlag, error: string, message: string) =>
        instanceEnd(
          scope,
          `${name}${flag === 'failed' ? 'Failed' : 'TimedOut'}`,
          '$.target',
          [flag],
          error,
          message,
          onFailure,
        );
      return pollUntil(scope, {
        waitId: `WaitFor${name}`,
        choiceId: `${name}?`,
        interval: props.poll,
        check,
        until: ready,
        next,
        unless: [
          end('failed', 'RestoreFailed', `${what}: instance {} is {}`),
          end('timedOut', 'RestoreTimedOut', `${what}: instance {} still {} after ${maxWait.toMinutes()} minutes`),
        ],
      });
    },
  };
}
