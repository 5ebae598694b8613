import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { LambdaFunction } from '../lambda-function.js';
import { invoke, recordError } from '../workflow-parts.js';
import { pollUntil } from './poll.js';

/** The end every drill shares; `catchAll` sends a task's failure (as `$.error`) through it. */
export interface DrillEnding {
  /** Deletes the scratch instance, then reports, then ends with the outcome. */
  readonly cleanup: tasks.LambdaInvoke;
  catchAll<T extends tasks.LambdaInvoke>(task: T): T;
}

/**
 * Cleanup, report, outcome: the scratch instance is deleted on every path (a not-yet-created one is fine), the
 * report always runs, and the execution then succeeds or fails with the original error (or CleanupFailed).
 */
export function drillEnding(scope: Construct, f: { report: LambdaFunction; cleanup: LambdaFunction }): DrillEnding {
  const failed = new sfn.Fail(scope, 'DrillFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
  const cleanupFailed = new sfn.Fail(scope, 'CleanupFailed', {
    error: 'CleanupFailed',
    cause: 'The scratch instance could not be deleted; the sweeper will retry and alarm',
  });
  const outcome = new sfn.Choice(scope, 'Outcome')
    .when(sfn.Condition.isPresent('$.error'), failed)
    .when(sfn.Condition.isPresent('$.cleanupError'), cleanupFailed)
    .otherwise(new sfn.Succeed(scope, 'DrillSucceeded'));
  const report = invoke(scope, 'Report', f.report, undefined, '$.report');
  report.addCatch(new sfn.Pass(scope, 'ReportFailed').next(outcome), { resultPath: '$.reportError' });
  report.next(outcome);

  const cleanup = invoke(scope, 'Cleanup', f.cleanup, { 'plan.$': '$.plan' }, '$.cleanup');
  cleanup.addRetry({
    errors: ['Throttling', 'ThrottlingException', 'InvalidDBInstanceStateFault'],
    interval: Duration.seconds(30),
    backoffRate: 1.5,
    maxAttempts: 12,
    maxDelay: Duration.minutes(5),
  });
  cleanup.addCatch(report, { resultPath: '$.cleanupError' });
  cleanup.next(report);

  const onFailure = new sfn.Pass(scope, 'RecordFailure').next(cleanup);
  return {
    cleanup,
    catchAll: (task) => {
      task.addCatch(onFailure, { resultPath: '$.error' });
      return task;
    },
  };
}

export interface ScratchStatesProps {
  readonly status: LambdaFunction;
  readonly verifier: LambdaFunction;
  /** The verifier's input; none = the whole state. */
  readonly verifyPayload: Record<string, unknown> | undefined;
  readonly maxWait: Duration;
  readonly poll: Duration;
}

/**
 * From a requested restore to cleanup: wait until the scratch instance is available (a failed or timed-out instance
 * fails the drill), verify it, and fail with VerificationMismatch when the counts differ. Returns the loop's entry.
 */
export function scratchStates(scope: Construct, ending: DrillEnding, props: ScratchStatesProps): sfn.Wait {
  const { cleanup, catchAll } = ending;
  const verify = catchAll(invoke(scope, 'Verify', props.verifier, props.verifyPayload, '$.verification'));
  verify.next(
    new sfn.Choice(scope, 'Verified?')
      .when(sfn.Condition.booleanEquals('$.verification.ok', true), cleanup)
      .otherwise(
        recordError(scope, 'VerificationMismatch', 'VerificationMismatch', '$.verification.summary').next(cleanup),
      ),
  );
  const checkScratch = catchAll(
    invoke(
      scope,
      'CheckScratch',
      props.status,
      {
        'instanceId.$': '$.plan.scratchInstanceId',
        'since.$': '$.restore.requestedAt',
        maxWaitSeconds: props.maxWait.toSeconds(),
      },
      '$.scratch',
    ),
  );
  return pollUntil(scope, {
    waitId: 'WaitForScratch',
    choiceId: 'ScratchReady?',
    interval: props.poll,
    check: checkScratch,
    until: sfn.Condition.booleanEquals('$.scratch.available', true),
    next: verify,
    unless: [
      [
        sfn.Condition.booleanEquals('$.scratch.failed', true),
        recordError(
          scope,
          'ScratchFailed',
          'RestoreFailed',
          "States.Format('Scratch instance {} ended in status {}', $.scratch.instanceId, $.scratch.status)",
        ).next(cleanup),
      ],
      [
        sfn.Condition.booleanEquals('$.scratch.timedOut', true),
        recordError(
          scope,
          'ScratchTimedOut',
          'RestoreTimedOut',
          `States.Format('Scratch instance {} still {} after ${props.maxWait.toMinutes()} minutes', $.scratch.instanceId, $.scratch.status)`,
        ).next(cleanup),
      ],
    ],
  });
}

export interface RestorablePollProps {
  readonly waitId: string;
  readonly choiceId: string;
  readonly interval: Duration;
  /** The look (caught by the ending); it answers `restorable` and `timedOut` under `resultPath`. */
  readonly check: tasks.LambdaInvoke;
  readonly resultPath: string;
  readonly next: sfn.IChainable;
  /** The state that records SourceNotRestorable with `cause`, before cleanup. */
  readonly notRestorableId: string;
  readonly cause: string;
}

/** Wait until the source's transaction logs reach the time the source was counted at; too long fails the drill. */
export function restorablePoll(scope: Construct, ending: DrillEnding, props: RestorablePollProps): sfn.Wait {
  return pollUntil(scope, {
    waitId: props.waitId,
    choiceId: props.choiceId,
    interval: props.interval,
    check: ending.catchAll(props.check),
    until: sfn.Condition.booleanEquals(`${props.resultPath}.restorable`, true),
    next: props.next,
    unless: [
      [
        sfn.Condition.booleanEquals(`${props.resultPath}.timedOut`, true),
        recordError(scope, props.notRestorableId, 'SourceNotRestorable', props.cause).next(ending.cleanup),
      ],
    ],
  });
}
