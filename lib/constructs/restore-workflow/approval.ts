import type { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { LambdaFunction } from '../lambda-function.js';
import type { RestoreStates } from './states.js';

/** The workflows whose cutover waits for a second person; the words of the states follow from it. */
const KEPT = { restore: 'the restored instance', rewind: 'the promoted replica' } as const;

/**
 * The two-person rule before a cutover, for the restore and the rewind (both hand over to the same cutover).
 * RequestApproval waits for its task token (the approval function tells the alert topic; `authdb-dr restore|rewind
 * approve` answers with the approver's identity proof); CheckApproval has STS name the approver and refuses the
 * starter, and a refused approval asks again. A rejection, a timeout or any other failure ends the workflow without
 * cutover: nothing has been renamed, so `notApproved` (the report) follows, not a roll-back. The states use `$.plan`
 * (as the cutover does), `$.approval`, `$.approvalRefusal` and `$.error`.
 */
export function approvalStates(
  s: Pick<RestoreStates, 'scope' | 'invoke' | 'failWith'>,
  approval: LambdaFunction,
  timeout: Duration,
  approved: sfn.IChainable,
  notApproved: sfn.IChainable,
  workflow: keyof typeof KEPT = 'restore',
): sfn.IChainable {
  const scope = s.scope;
  const request = new tasks.LambdaInvoke(scope, 'RequestApproval', {
    lambdaFunction: approval.function,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({
      action: 'request',
      taskToken: sfn.JsonPath.taskToken,
      'plan.$': '$.plan',
      'refusal.$': '$.approvalRefusal',
    }),
    // The answer of SendTaskSuccess: the approver's identity proof, checked next (and then replaced by the result).
    resultPath: '$.approval',
    taskTimeout: sfn.Timeout.duration(timeout),
    comment: `Waits for a second person: authdb-dr ${workflow} approve (or --reject).`,
  });
  request.addCatch(
    s
      .failWith(
        'ApprovalTimedOut',
        'CutoverNotApproved',
        `States.Format('No second person approved the cutover within ${timeout.toMinutes()} minutes: production is unchanged, ${KEPT[workflow]} {} is kept', $.plan.targetInstanceId)`,
      )
      .next(notApproved),
    { errors: ['States.Timeout'], resultPath: '$.error' },
  );
  // CutoverRejected (authdb-dr restore approve --reject), or the request could not be sent.
  request.addCatch(notApproved, { resultPath: '$.error' });

  const check = s.invoke(
    'CheckApproval',
    approval,
    { action: 'check', 'plan.$': '$.plan', 'approval.$': '$.approval' },
    '$.approval',
  );
  check.addRetry({ errors: ['IdentityCheckUnavailable'], maxAttempts: 3 });
  check.addCatch(request, { resultPath: '$.approvalRefusal' });
  request.next(check);
  check.next(approved);

  // No refusal yet: an empty object (not null, which the local interpreter does not apply).
  const awaitApproval = new sfn.Pass(scope, 'AwaitApproval', {
    result: sfn.Result.fromObject({}),
    resultPath: '$.approvalRefusal',
  });
  awaitApproval.next(request);
  return awaitApproval;
}
