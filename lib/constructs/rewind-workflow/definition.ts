import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { LambdaFunction } from '../lambda-function.js';
import { guardTasks, planTask, reportEnding } from '../promotion-parts.js';
import type { RewindCutover } from '../rewind-cutover.js';
import { pollUntil } from '../workflow-parts/poll.js';
import { invoke, setNull } from '../workflow-parts.js';
import type { RewindFunctions } from './functions.js';
import type { RewindWorkflowProps } from './props.js';

/** Every step's result, null until it happens (the report reads them all). */
const STEPS = [
  'frozen',
  'target',
  'reboot',
  'reached',
  'promote',
  'promoted',
  'verification',
  'renameSource',
  'renameTarget',
  'cutOver',
  'rollBack',
] as const;

/**
 * Plan → dry run (estimate only), or: freeze replay → set the recovery target → poll until the parameters wait for
 * a reboot → reboot → poll until the replica is back → poll until replay reaches the target (or its deadline) →
 * promote → poll until promoted → verify → optional cutover (the restore's, through `handover`) → report.
 */
export function rewindDefinition(
  scope: Construct,
  props: RewindWorkflowProps,
  { control, replay, report }: RewindFunctions,
  handover: RewindCutover,
): sfn.IChainable {
  const T = { 'incidentTime.$': '$.plan.incidentTime' };
  const since = (step: string) => ({ 'since.$': `$.steps.${step}.at` });
  const plan = planTask(
    scope,
    control,
    'Validates the input before anything changes (a cutover must name the production instance)',
  );
  const initSteps = new sfn.Pass(scope, 'InitSteps', {
    result: sfn.Result.fromObject(Object.fromEntries(STEPS.map((step) => [step, null]))),
    resultPath: '$.steps',
  });
  const ending = reportEnding(scope, report, { succeeded: 'Rewound', failed: 'RewindFailed' });

  const task = (id: string, fn: LambdaFunction, action: string, more: Record<string, unknown>, resultPath: string) =>
    invoke(scope, id, fn, { action, ...more }, resultPath);
  const dryRun = task('DryRun', replay, 'dryRun', T, '$.dryRun');
  const dryRunDone = new sfn.Succeed(scope, 'DryRunDone', { outputPath: '$.dryRun' });
  const freeze = task('Freeze', replay, 'freeze', T, '$.steps.frozen');
  const setTarget = task('SetRecoveryTarget', control, 'setTarget', T, '$.steps.target');
  const parameters = task('ParametersPendingReboot', control, 'parameters', since('target'), '$.parameters');
  const reboot = task('Reboot', control, 'reboot', {}, '$.steps.reboot');
  // The replica's status is expected to be 'replica' again after the reboot, and 'promoted' after the promotion.
  const afterReboot = { expect: 'replica', ...since('reboot') };
  const afterPromote = { expect: 'promoted', ...since('promote') };
  const rebootStatus = task('RebootStatus', control, 'status', afterReboot, '$.status');
  const frozenAt = { 'frozenAt.$': '$.steps.frozen.frozenAt' };
  const checkTarget = task('CheckRecoveryTarget', replay, 'checkTarget', { ...T, ...frozenAt }, '$.progress');
  // Right after the reboot the replica may refuse connections for a while: a plain Error is retried.
  checkTarget.addRetry({ errors: ['Error'], interval: props.poll, maxAttempts: 6, backoffRate: 1 });
  const replayDeadline = task('ReplayDeadline', control, 'replayDeadline', since('reboot'), '$.replayElapsed');
  const promote = task('Promote', control, 'promote', {}, '$.steps.promote');
  const promotionStatus = task('PromotionStatus', control, 'status', afterPromote, '$.status');
  const verify = task('Verify', replay, 'verify', T, '$.steps.verification');
  guardTasks(
    ending.failure,
    [setTarget, parameters, reboot, rebootStatus, replayDeadline, promote, promotionStatus],
    [dryRun, freeze, checkTarget, verify, ending.success],
  );

  const ready = sfn.Condition.booleanEquals('$.status.ready', true);
  const recordPromoted = new sfn.Pass(scope, 'RecordPromoted', {
    parameters: { 'at.$': '$.status.at' },
    resultPath: '$.steps.promoted',
  });
  const afterPromotion = recordPromoted
    .next(verify)
    .next(
      new sfn.Choice(scope, 'Cutover?')
        .when(sfn.Condition.booleanEquals('$.plan.cutover', true), handover.chain(ending.success, ending.failure))
        .otherwise(ending.success),
    );
  const promoteChain = promote.next(
    pollUntil(scope, {
      waitId: 'WaitForPromotion',
      choiceId: 'Promoted?',
      interval: props.poll,
      check: promotionStatus,
      until: ready,
      next: afterPromotion,
    }),
  );
  const recordReached = new sfn.Pass(scope, 'RecordRecoveryPoint', {
    parameters: { 'recoveryPoint.$': '$.progress.recoveryPoint', 'at.$': '$.progress.at' },
    resultPath: '$.steps.reached',
  });
  // Replay is checked at once after the reboot, then after each wait until the deadline function gives up.
  const waitForReplay = new sfn.Wait(scope, 'WaitForReplay', { time: sfn.WaitTime.duration(props.poll) });
  waitForReplay.next(checkTarget);
  checkTarget.next(
    new sfn.Choice(scope, 'ReachedRecoveryTarget?')
      .when(sfn.Condition.booleanEquals('$.progress.reached', true), recordReached.next(promoteChain))
      .otherwise(replayDeadline.next(waitForReplay)),
  );
  const waitForReboot = pollUntil(scope, {
    waitId: 'WaitForReboot',
    choiceId: 'Rebooted?',
    interval: props.poll,
    check: rebootStatus,
    until: ready,
    next: checkTarget,
  });
  const waitForParameters = pollUntil(scope, {
    waitId: 'WaitForParameters',
    choiceId: 'PendingReboot?',
    interval: props.poll,
    check: parameters,
    until: sfn.Condition.booleanEquals('$.parameters.pendingReboot', true),
    next: reboot.next(waitForReboot),
  });

  return plan
    .next(initSteps)
    .next(setNull(scope, 'InitError', '$.error'))
    .next(
      new sfn.Choice(scope, 'DryRun?')
        .when(sfn.Condition.booleanEquals('$.plan.dryRun', true), dryRun.next(dryRunDone))
        .otherwise(freeze.next(setTarget).next(waitForParameters)),
    );
}
