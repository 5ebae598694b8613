import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { resourceName } from '../../../contract/names.js';
import type { LambdaFunction } from '../lambda-function.js';
import { pollUntil } from '../workflow-parts/poll.js';
import { invoke, workflowStateMachine } from '../workflow-parts.js';
import type { RestoreTestValidationProps } from './props.js';

/** Describe -> wait for the instance -> validate -> record; every failure records FAILED with AWS Backup. */
export function validationStateMachine(
  scope: Construct,
  props: RestoreTestValidationProps,
  fn: LambdaFunction,
): sfn.StateMachine {
  const record = invoke(scope, 'Record', fn, { action: 'record', 'state.$': '$' }, '$.recorded');
  record.addRetry({ errors: ['States.TaskFailed'], interval: Duration.seconds(5), maxAttempts: 3 });
  const validate = invoke(
    scope,
    'Validate',
    fn,
    { action: 'validate', 'job.$': '$.job', 'instance.$': '$.instance' },
    '$.outcome',
  );
  validate.addCatch(record, { resultPath: '$.error' });
  const check = invoke(
    scope,
    'CheckInstance',
    props.statusFunction,
    {
      'instanceId.$': '$.job.instanceId',
      'since.$': '$.job.since',
      maxWaitSeconds: props.maxWait.toSeconds(),
    },
    '$.instance',
  );
  check.addCatch(record, { resultPath: '$.error' });
  pollUntil(scope, {
    waitId: 'WaitForInstance',
    choiceId: 'Ready?',
    interval: props.poll,
    check,
    until: sfn.Condition.booleanEquals('$.instance.available', true),
    next: validate.next(record),
    unless: [
      [
        sfn.Condition.or(
          sfn.Condition.booleanEquals('$.instance.failed', true),
          sfn.Condition.booleanEquals('$.instance.timedOut', true),
        ),
        record,
      ],
    ],
  });
  const describe = invoke(scope, 'Describe', fn, { action: 'describe', 'event.$': '$' }, '$.job');
  const ours = new sfn.Choice(scope, 'Ours?')
    .when(sfn.Condition.booleanEquals('$.job.ours', false), new sfn.Succeed(scope, 'NotOurs'))
    .otherwise(check);

  return workflowStateMachine(scope, {
    ...props,
    name: resourceName(props.environment, 'restore-test-validation'),
    comment: 'Validates an AWS Backup restore test of the database and records the result with AWS Backup',
    start: describe.next(ours),
    timeout: props.maxWait.plus(Duration.hours(1)),
    invokes: [fn, props.statusFunction],
  });
}
