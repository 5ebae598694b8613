import type { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { recordError } from '../workflow-parts.js';

export interface PollUntilProps {
  /** Ids of the Wait and the Choice state: they name states in the definition and its history (keep them). */
  readonly waitId: string;
  readonly choiceId: string;
  readonly interval: Duration;
  /** One look, whose result the conditions read. */
  readonly check: tasks.LambdaInvoke;
  readonly until: sfn.Condition;
  readonly next: sfn.IChainable;
  /** Ends of the loop other than `until`, tested in this order after it (a failed or timed-out look). */
  readonly unless?: ReadonlyArray<readonly [sfn.Condition, sfn.IChainable]>;
}

/**
 * Step Functions does the waiting: Wait, look, and go on to `next` once `until` holds; otherwise wait again. The
 * look itself decides when waiting is over (it answers `timedOut`), so the loop needs no counter. Returns the Wait,
 * the state to enter the loop by.
 */
export function pollUntil(scope: Construct, props: PollUntilProps): sfn.Wait {
  const wait = new sfn.Wait(scope, props.waitId, { time: sfn.WaitTime.duration(props.interval) });
  wait.next(props.check);
  let choice = new sfn.Choice(scope, props.choiceId).when(props.until, props.next);
  for (const [condition, next] of props.unless ?? []) choice = choice.when(condition, next);
  props.check.next(choice.otherwise(wait));
  return wait;
}

/** What a look at an instance (the instance-status function) answers besides `available`. */
export type InstanceLookFlag = 'failed' | 'timedOut';

/**
 * A way out of a poll of an instance other than `until`: when any of `flags` is true in the look at `look`, `$.error`
 * records `error` with a cause naming the instance and its status (`message`, `{}` for each), then goes to `then`.
 */
export function instanceEnd(
  scope: Construct,
  id: string,
  look: string,
  flags: readonly [InstanceLookFlag, ...InstanceLookFlag[]],
  error: string,
  message: string,
  then: sfn.IChainable,
): readonly [sfn.Condition, sfn.IChainable] {
  const [first, ...more] = flags.map((flag) => sfn.Condition.booleanEquals(`${look}.${flag}`, true));
  const cause = `States.Format('${message}', ${look}.instanceId, ${look}.status)`;
  return [
    more.length === 0 ? first : sfn.Condition.or(first, ...more),
    recordError(scope, id, error, cause).next(then),
  ];
}
