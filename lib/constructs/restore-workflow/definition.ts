import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { planningTask, setNull, tolerateFailure, workflowStateMachine } from '../workflow-parts.js';
import { approvalStates } from './approval.js';
import { cutoverStates, RENAME_WAIT } from './cutover.js';
import type { RestoreFunctions } from './functions.js';
import type { RestoreWorkflowProps } from './props.js';
import { restoreStates } from './states.js';

/**
 * The restore state machine: validate, restore into a new instance, apply what the restore API cannot set, verify
 * like a drill, optionally cut over, report. A failure keeps the restored instance (tagged failed) and is reported.
 */
export function restoreStateMachine(
  scope: Construct,
  props: RestoreWorkflowProps,
  f: RestoreFunctions,
  stateMachineName: string,
): sfn.StateMachine {
  const s = restoreStates(scope, props);
  const { invoke, status, failWith, waitLoop } = s;

  // The end: report, then succeed or fail with the original error.
  const outcome = new sfn.Choice(scope, 'Outcome')
    .when(
      sfn.Condition.isPresent('$.error'),
      new sfn.Fail(scope, 'RestoreFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    )
    .otherwise(new sfn.Succeed(scope, 'RestoreSucceeded'));
  const report = tolerateFailure(
    invoke('Report', f.report, undefined, '$.report'),
    '$.reportError',
    outcome,
    new sfn.Pass(scope, 'ReportFailed').next(outcome),
  );

  // A failed restore keeps its instance (it may be the only copy): it is tagged as failed and reported.
  const markFailed = tolerateFailure(
    invoke('MarkFailed', f.finish, { action: 'mark-failed', 'plan.$': '$.plan', 'error.$': '$.error' }, '$.marked'),
    '$.markError',
    report,
  );
  const catchAll = <T extends tasks.LambdaInvoke>(task: T): T => {
    task.addCatch(markFailed, { resultPath: '$.error' });
    return task;
  };

  const renames = cutoverStates(s, f.cutover, report, markFailed);
  const approvalTimeout = props.cutover.approvalTimeout;
  const cutover =
    f.approval && approvalTimeout ? approvalStates(s, f.approval, approvalTimeout, renames, report) : renames;
  const cutoverChoice = new sfn.Choice(scope, 'Cutover?')
    .when(sfn.Condition.booleanEquals('$.plan.cutover', true), cutover)
    .otherwise(report);

  // Verify like a drill: counts of the restored instance against the source as of the recovery point.
  const verify = catchAll(
    invoke(
      'Verify',
      props.verifierFunction,
      {
        action: 'verify',
        'plan.$': '$.plan',
        'scratch.$': '$.target',
        'sourceCounts.$': '$.sourceCounts',
        // The source's rows after this instant are what a cutover leaves behind: the report counts them.
        'recoveryPoint.$': '$.restore.asOf',
      },
      '$.verification',
    ),
  );
  verify.next(
    new sfn.Choice(scope, 'Complete?')
      .when(sfn.Condition.booleanEquals('$.verification.complete', true), cutoverChoice)
      .otherwise(failWith('Incomplete', 'VerificationFailed', '$.verification.summary').next(markFailed)),
  );
  const noSourceCounts = setNull(scope, 'NoSourceCounts', '$.sourceCounts');
  noSourceCounts.next(verify);
  // An unreachable source (the incident) is not a failure: the counts are then reported without comparison.
  const countSource = tolerateFailure(
    invoke(
      'CountSource',
      props.verifierFunction,
      { action: 'count-source', 'plan.$': '$.plan', 'settleBefore.$': '$.restore.asOf' },
      '$.sourceCounts',
    ),
    '$.sourceCountError',
    verify,
    noSourceCounts,
  );
  const sourceReachable = new sfn.Choice(scope, 'SourceReachable?')
    .when(sfn.Condition.isNull('$.plan.source'), noSourceCounts)
    .otherwise(countSource);

  // Waits until the look at the restored instance says `ready`; a failed or timed-out look marks the restore failed.
  const waitForTarget = (
    name: string,
    since: string,
    ready: 'available' | 'settled',
    next: sfn.IChainable,
    what: string,
  ) =>
    waitLoop(
      name,
      catchAll(status(`Check${name}`, '$.plan.targetInstanceId', since, props.maxWait)),
      sfn.Condition.booleanEquals(`$.target.${ready}`, true),
      next,
      markFailed,
      what,
      props.maxWait,
    );

  // What the restore API cannot set, applied once the instance is available, and waited for.
  const waitSettings = waitForTarget(
    'Settings',
    '$.settings.appliedAt',
    'settled',
    sourceReachable,
    'applying settings',
  );
  const applySettings = catchAll(
    invoke('ApplySettings', f.finish, { action: 'apply-settings', 'plan.$': '$.plan' }, '$.settings'),
  );
  applySettings.next(waitSettings);

  const waitTarget = waitForTarget('Target', '$.restore.requestedAt', 'available', applySettings, 'restoring');
  const startRestore = catchAll(invoke('StartRestore', f.start, { 'plan.$': '$.plan' }, '$.restore'));
  startRestore.next(waitTarget);

  const validate = planningTask(
    scope,
    'Validate',
    f.validate,
    'RestoreRejected',
    'Checks the whole input against AWS before anything is created.',
  );
  validate.next(startRestore);

  return workflowStateMachine(scope, {
    ...props,
    name: stateMachineName,
    comment: `authdb-dr ${props.environment}: restore into a new instance, verify, report, optional cutover`,
    start: validate,
    timeout: Duration.minutes(
      2 * props.maxWait.toMinutes() + 2 * RENAME_WAIT.toMinutes() + 60 + (approvalTimeout?.toMinutes() ?? 0),
    ),
    invokes: [...Object.values(f), props.statusFunction, props.verifierFunction],
  });
}
