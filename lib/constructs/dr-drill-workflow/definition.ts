import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { drillEnding, restorablePoll, scratchStates } from '../workflow-parts/drill-states.js';
import { invoke, planningTask, setNull, workflowStateMachine } from '../workflow-parts.js';
import type { DrillFunctions } from './functions.js';
import type { DrDrillWorkflowProps } from './props.js';

/** How long the source may take to make C restorable (RDS ships transaction logs every 5 minutes). */
export const SOURCE_RESTORABLE_WAIT = Duration.minutes(15);
/** Seconds between two looks at the source's LatestRestorableTime. */
const SOURCE_POLL = Duration.seconds(30);

/**
 * Preflight; in point-in-time mode count the source at C and wait until C is restorable; restore into a scratch
 * instance, wait for it, verify it; then the drill ending (cleanup, report, outcome) on every path.
 */
export function drillStateMachine(
  scope: Construct,
  props: DrDrillWorkflowProps,
  f: DrillFunctions,
  name: string,
): sfn.StateMachine {
  const ending = drillEnding(scope, f);
  const { catchAll } = ending;

  const waitForScratch = scratchStates(scope, ending, {
    status: f.status,
    verifier: f.verifier,
    verifyPayload: {
      action: 'verify',
      'plan.$': '$.plan',
      'scratch.$': '$.scratch',
      'sourceCounts.$': '$.sourceCounts',
    },
    maxWait: props.maxWait,
    poll: props.poll,
  });
  const requestRestore = catchAll(
    invoke(scope, 'RequestRestore', f.restore, { 'plan.$': '$.plan', 'sourceCounts.$': '$.sourceCounts' }, '$.restore'),
  );
  requestRestore.next(waitForScratch);

  const checkSource = invoke(
    scope,
    'CheckSourceRestorable',
    f.status,
    {
      'instanceId.$': '$.plan.sourceInstanceId',
      'since.$': '$.sourceCounts.countedAt',
      'restoreTime.$': '$.sourceCounts.countedAt',
      maxWaitSeconds: SOURCE_RESTORABLE_WAIT.toSeconds(),
    },
    '$.sourceStatus',
  );
  restorablePoll(scope, ending, {
    waitId: 'WaitForSourceLogs',
    choiceId: 'SourceRestorable?',
    interval: SOURCE_POLL,
    check: checkSource,
    resultPath: '$.sourceStatus',
    next: requestRestore,
    notRestorableId: 'SourceNotRestorable',
    cause: `States.Format('LatestRestorableTime of {} did not reach {} within ${SOURCE_RESTORABLE_WAIT.toMinutes()} minutes', $.plan.sourceInstanceId, $.sourceCounts.countedAt)`,
  });

  const countSource = catchAll(
    invoke(scope, 'CountSource', f.verifier, { action: 'count-source', 'plan.$': '$.plan' }, '$.sourceCounts'),
  );
  // The first look comes at once: the source may already be restorable.
  countSource.next(checkSource);
  const noSourceCounts = setNull(scope, 'NoSourceCounts', '$.sourceCounts');
  noSourceCounts.next(requestRestore);

  const preflight = planningTask(
    scope,
    'Preflight',
    f.preflight,
    'PreflightFailed',
    'Validates the input and decides what to restore; creates nothing.',
  );
  preflight.next(
    new sfn.Choice(scope, 'Mode?')
      .when(sfn.Condition.stringEquals('$.plan.mode', 'point-in-time'), countSource)
      .otherwise(noSourceCounts),
  );

  return workflowStateMachine(scope, {
    ...props,
    name,
    comment: `authdb-dr ${props.environment}: DR drill (restore, verify, report, clean up)`,
    start: preflight,
    timeout: props.maxWait.plus(SOURCE_RESTORABLE_WAIT).plus(Duration.minutes(45)),
    invokes: Object.values(f),
  });
}
