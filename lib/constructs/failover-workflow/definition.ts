import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { guardTasks, planTask, reportEnding } from '../promotion-parts.js';
import { pollUntil } from '../workflow-parts/poll.js';
import { invoke, recordError, setNull } from '../workflow-parts.js';
import type { FailoverFunctions } from './functions.js';
import type { FailoverWorkflowProps } from './props.js';

/** What each task sends its function (`action` selects the handler's branch). */
const PAYLOADS = {
  lastReplayed: { action: 'lastReplayed', 'endpoint.$': '$.plan.standbyEndpoint' },
  start: { action: 'start', 'plan.$': '$.plan', 'execution.$': '$$.Execution' },
  status: { action: 'status', 'plan.$': '$.plan', 'since.$': '$.steps.started.at' },
  verify: { action: 'verify', 'endpoint.$': '$.steps.available.endpoint', 'recoveryPoint.$': '$.reference.at' },
};

/**
 * Plan (validates everything) → dry run ends here; promote: note the standby's last replayed commit, then start;
 * restore: start → poll until the writer is ready (or failed, or out of time) → verify against the reference point
 * (the last replayed commit, or the recovery point) → report.
 */
export function failoverDefinition(
  scope: Construct,
  props: FailoverWorkflowProps,
  { control, verify, report }: FailoverFunctions,
): sfn.IChainable {
  const plan = planTask(scope, control, 'Validates every input before anything changes');
  const init = new sfn.Pass(scope, 'InitSteps', {
    result: sfn.Result.fromObject({ lastReplayed: null, started: null, available: null, verification: null }),
    resultPath: '$.steps',
  });
  const ending = reportEnding(scope, report, { succeeded: 'FailedOver', failed: 'FailoverFailed' });

  const lastReplayed = invoke(scope, 'LastReplayedCommit', verify, PAYLOADS.lastReplayed, '$.steps.lastReplayed');
  const start = invoke(scope, 'Start', control, PAYLOADS.start, '$.steps.started');
  const status = invoke(scope, 'WriterStatus', control, PAYLOADS.status, '$.status');
  const verifyWriter = invoke(scope, 'Verify', verify, PAYLOADS.verify, '$.steps.verification');
  // Right after it becomes available the instance may still refuse connections for a moment.
  verifyWriter.addRetry({ errors: ['Error'], interval: props.poll, maxAttempts: 3, backoffRate: 1 });
  guardTasks(ending.failure, [start, status], [lastReplayed, verifyWriter, ending.success]);

  const reference = (id: string, at: string) =>
    new sfn.Pass(scope, id, { parameters: { 'at.$': at }, resultPath: '$.reference' });
  const toVerify = new sfn.Choice(scope, 'PromotedOrRestored?')
    .when(
      sfn.Condition.stringEquals('$.plan.mode', 'promote'),
      reference('ReferenceLastReplayed', '$.steps.lastReplayed.lastReplayedCommit').next(verifyWriter),
    )
    .otherwise(reference('ReferenceRecoveryPoint', '$.plan.recoveryPoint').next(verifyWriter));
  verifyWriter.next(
    new sfn.Choice(scope, 'Verified?')
      .when(sfn.Condition.booleanEquals('$.steps.verification.ok', true), ending.success)
      .otherwise(
        recordError(scope, 'VerificationFailed', 'VerificationFailed', '$.steps.verification.summary').next(
          ending.failure,
        ),
      ),
  );
  const available = new sfn.Pass(scope, 'RecordAvailable', {
    parameters: { 'at.$': '$.status.at', 'endpoint.$': '$.status.endpoint' },
    resultPath: '$.steps.available',
  });
  const failedAs = (id: string) => recordError(scope, id, id, '$.status.status').next(ending.failure);
  start.next(
    pollUntil(scope, {
      waitId: 'WaitForWriter',
      choiceId: 'WriterReady?',
      interval: props.poll,
      check: status,
      until: sfn.Condition.booleanEquals('$.status.ready', true),
      next: available.next(toVerify),
      unless: [
        [sfn.Condition.booleanEquals('$.status.failed', true), failedAs('WriterFailed')],
        [sfn.Condition.booleanEquals('$.status.timedOut', true), failedAs('WriterTimedOut')],
      ],
    }),
  );
  return plan
    .next(init)
    .next(setNull(scope, 'InitError', '$.error'))
    .next(
      new sfn.Choice(scope, 'DryRun?')
        .when(
          sfn.Condition.booleanEquals('$.plan.dryRun', true),
          new sfn.Succeed(scope, 'DryRunDone', { outputPath: '$.plan' }),
        )
        .when(sfn.Condition.stringEquals('$.plan.mode', 'promote'), lastReplayed.next(start))
        .otherwise(start),
    );
}
