import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { stateMachineName } from '../../../contract/names.js';
import type { LambdaFunction } from '../lambda-function.js';
import { acknowledgeInlinePolicy } from '../nag.js';
import { invoke as invokeLambda, workflowStateMachine } from '../workflow-parts.js';
import type { RestoreWorkflowProps } from './props.js';
import type { RestoreStates } from './states.js';

/** How long a rename may take before the cutover gives up (and rolls back). */
export const RENAME_WAIT = Duration.minutes(30);

/** Seconds between two looks while a roll-back waits for the production name to settle. */
const ROLL_BACK_INTERVAL = Duration.seconds(30);

/**
 * Cutover: rename the source aside, then the restored instance into its place; roll back if that fails. Every failure
 * after the first rename converges on the production name being held again (see rollBackTask). Returns the first
 * state (RenameSource); `done` follows a cutover that completed, `failed` a roll-back.
 */
export function cutoverStates(
  s: RestoreStates,
  cutover: LambdaFunction,
  done: sfn.IChainable,
  failed: sfn.IChainable,
): sfn.IChainable {
  const scope = s.scope;
  const rollBack = planRollBack(scope, 'RollBackSourceName', 'RollBackFailed', cutover, failed);
  rollBack.next(failed);
  // Wait until an available instance holds `instanceId` (missing = still renaming); any failure rolls back.
  const renamed = (name: string, instanceId: string, step: string, next: sfn.IChainable, what: string) => {
    const check = s.status(`Check${name}`, instanceId, `${step}.at`, RENAME_WAIT, true);
    check.addCatch(rollBack, { resultPath: '$.error' });
    const ready = sfn.Condition.booleanEquals('$.target.available', true);
    return s.waitLoop(name, check, ready, next, rollBack, what, RENAME_WAIT);
  };
  // Created in this order (each wait before its rename): the definition lists states in creation order.
  const targetRenamed = renamed(
    'TargetRenamed',
    '$.plan.sourceInstanceId',
    '$.renameTarget',
    done,
    'renaming the restored instance',
  );
  const renameTarget = renameTask(scope, 'RenameTarget', cutover, 'rename-target', '$.renameTarget', rollBack);
  renameTarget.next(targetRenamed);
  const sourceRenamed = renamed(
    'SourceRenamed',
    '$.plan.preRestoreInstanceId',
    '$.renameSource',
    renameTarget,
    'renaming the source aside',
  );
  const renameSource = renameTask(scope, 'RenameSource', cutover, 'rename-source', '$.renameSource', rollBack);
  renameSource.next(sourceRenamed);
  return renameSource;
}

/**
 * One rename of the cutover (restore and rewind alike), by the cutover function with the plan; any failure rolls back.
 * Renaming the target is retried while the production name is still taken (the function says TargetInUse until the
 * source's rename away has settled); renaming the source is not, since its error may follow an applied rename.
 */
export function renameTask(
  scope: Construct,
  id: string,
  fn: LambdaFunction,
  action: 'rename-source' | 'rename-target',
  resultPath: string,
  rollBack: sfn.IChainable,
): tasks.LambdaInvoke {
  const task = invokeLambda(scope, id, fn, { action, 'plan.$': '$.plan' }, resultPath);
  if (action === 'rename-target') {
    task.addRetry({ errors: ['TargetInUse'], interval: Duration.seconds(30), maxAttempts: 20, backoffRate: 1 });
  }
  task.addCatch(rollBack, { resultPath: '$.error' });
  return task;
}

/**
 * The roll-back of a cutover in progress (the plan's names), restore and rewind alike: when even it fails, `failedId`
 * records that the production name may be free and goes on to `failed`. The caller chains what follows success.
 */
export function planRollBack(
  scope: Construct,
  id: string,
  failedId: string,
  fn: LambdaFunction,
  failed: sfn.IChainable,
): tasks.LambdaInvoke {
  const rollBack = rollBackTask(scope, id, fn, { action: 'roll-back', 'plan.$': '$.plan' });
  rollBack.addCatch(
    new sfn.Pass(scope, failedId, {
      parameters: {
        Error: 'RollBackFailed',
        'Cause.$':
          "States.Format('The production name may be free: {} (after {})', $.rollBackError.Cause, $.error.Cause)",
      },
      resultPath: '$.error',
    }).next(failed),
    { resultPath: '$.rollBackError' },
  );
  return rollBack;
}

/**
 * The roll-back step: the cutover function converges on the production name being held (renaming the original back
 * when the name is free) and reports NameNotSettled / TargetInUse until then. It retries every error but a refusal
 * (a caller or input it does not accept will not change), for longer than a rename takes.
 */
export function rollBackTask(
  scope: Construct,
  id: string,
  fn: LambdaFunction,
  payload: Record<string, unknown>,
): tasks.LambdaInvoke {
  const task = invokeLambda(scope, id, fn, payload, '$.rollBack');
  task.addRetry({ errors: ['NotCalledByRestore', 'InvalidInput'], maxAttempts: 0 });
  task.addRetry({
    errors: ['States.ALL'],
    interval: ROLL_BACK_INTERVAL,
    maxAttempts: Math.ceil(RENAME_WAIT.toSeconds() / ROLL_BACK_INTERVAL.toSeconds()) + 10,
    backoffRate: 1,
  });
  return task;
}

/**
 * A Catch cannot see an aborted or timed-out execution: EventBridge starts this machine for those, and it runs the
 * same roll-back as the restore machine's Catch (the function reads the ended execution itself).
 */
export function rollBackMachine(
  workflow: Construct,
  props: RestoreWorkflowProps,
  cutover: LambdaFunction,
  restoreMachine: sfn.IStateMachine,
): sfn.StateMachine {
  const scope = new Construct(workflow, 'RollBack');
  const rollBack = rollBackTask(scope, 'RollBackEndedCutover', cutover, {
    action: 'roll-back-ended',
    'executionArn.$': '$.detail.executionArn',
  });
  rollBack.addCatch(
    new sfn.Fail(scope, 'ProductionNameMayBeFree', { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    { resultPath: '$.error' },
  );
  rollBack.next(new sfn.Succeed(scope, 'ProductionNameHeld'));
  const machine = workflowStateMachine(scope, {
    ...props,
    name: stateMachineName(props.environment, 'restore-rollback'),
    comment: `authdb-dr ${props.environment}: roll back the cutover of an aborted or timed-out restore`,
    start: rollBack,
    timeout: Duration.hours(1),
    invokes: [cutover],
  });
  rollBackOnAbnormalEnd(scope, workflow, {
    environment: props.environment,
    workflow: 'restore',
    watched: restoreMachine.stateMachineArn,
    rollBack: machine,
  });
  return machine;
}

/**
 * A Catch cannot see an execution that was aborted or timed out: EventBridge starts the roll-back machine for those.
 * The role and the rule take separate scopes so that the restore's and the rewind's keep their construct paths.
 */
export function rollBackOnAbnormalEnd(
  roleScope: Construct,
  ruleScope: Construct,
  o: { environment: string; workflow: 'restore' | 'rewind'; watched: string; rollBack: sfn.IStateMachine },
): void {
  const eventsRole = new iam.Role(roleScope, 'EventsRole', {
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(roleScope).account } },
    }),
    description: `authdb-dr ${o.environment}: starts the cutover roll-back of an aborted ${o.workflow}`,
  });
  acknowledgeInlinePolicy(eventsRole);
  new events.Rule(ruleScope, 'RollBackAfterAbnormalEnd', {
    description: `authdb-dr ${o.environment}: roll back the cutover of a ${o.workflow} that was aborted or timed out`,
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { status: ['TIMED_OUT', 'ABORTED'], stateMachineArn: [o.watched] },
    },
    targets: [new eventsTargets.SfnStateMachine(o.rollBack, { retryAttempts: 8, role: eventsRole })],
  });
}
