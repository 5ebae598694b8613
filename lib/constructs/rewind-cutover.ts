import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stsHost } from '../../contract/identity-proof.js';
import type { DelayedReplica } from './delayed-replica.js';
import { addFunctionEnvironment } from './function-environment.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeWildcard } from './nag.js';
import { approvalStates } from './restore-workflow/approval.js';
import { planRollBack, renameTask, rollBackOnAbnormalEnd } from './restore-workflow/cutover.js';
import { instanceEnd, pollUntil } from './workflow-parts/poll.js';
import { invoke, recordError } from './workflow-parts.js';

/** How long one rename may take before the handover gives up and rolls back (as the restore's cutover). */
export const REWIND_RENAME_WAIT = Duration.minutes(30);

export interface RewindCutoverProps {
  readonly environment: string;
  /** The restore workflow's cutover function: the only one whose role may rename production (rename only). */
  readonly cutover: LambdaFunction;
  /** The restore's roll-back machine, started for rewind executions that end with no Catch (aborted, timed out). */
  readonly rollBackStateMachine: sfn.IStateMachine;
  /** Looks at an instance by name (the drill's instance-status function). */
  readonly statusFunction: LambdaFunction;
  readonly replica: DelayedReplica;
  /** The rewind state machine's fixed name: the cutover function accepts its executions as callers. */
  readonly rewindStateMachineName: string;
  readonly poll: Duration;
  /** The rewind's Plan function: it checks who starts a confirmed cutover where a second person must approve it. */
  readonly planFunction: LambdaFunction;
  /**
   * Two-person rule (cutover.requireApproval): the restore's approval function, and how long a confirmed cutover
   * waits for another principal's approval before the rewind ends without it.
   * @default - no approval (the cutover follows the verification at once)
   */
  readonly approval?: { readonly function: LambdaFunction; readonly timeout: Duration };
}

/**
 * The handover of a promoted, verified delayed replica to the restore's guarded cutover: production is renamed
 * aside (`<id>-pre-restore-<stamp>`), then the replica takes the production name, by the same function and the same
 * rename-only role as a restore's cutover. That function accepts this rewind state machine as a second caller (it
 * reads the calling execution itself), and takes the replica's name from its own configuration. Every failure after
 * the first rename rolls back until an instance holds the production name.
 */
export class RewindCutover extends Construct {
  readonly rewindStateMachineArn: string;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: RewindCutoverProps,
  ) {
    super(scope, id);
    const stack = Stack.of(this);
    this.rewindStateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: props.rewindStateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${props.rewindStateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const cutover = props.cutover;
    addFunctionEnvironment(cutover.function, 'restore-cutover', {
      REWIND_STATE_MACHINE_ARN: this.rewindStateMachineArn,
      REWIND_TARGET_INSTANCE_ID: props.replica.instanceIdentifier,
    });
    cutover.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CheckTheCallingRewindExecution',
        actions: ['states:DescribeExecution'],
        resources: [executions],
      }),
    );
    // The rename-only denies of the cutover role hold for this grant too (they apply to every resource).
    cutover.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RenameThePromotedDelayedReplica',
        actions: ['rds:ModifyDBInstance'],
        resources: [props.replica.instance.instanceArn],
      }),
    );
    const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
    acknowledgeWildcard(
      cutover.role,
      `Resource::arn:${partition}:states:${stack.region}:${stack.account}:execution:${props.rewindStateMachineName}:*`,
      "Executions of the rewind state machine (generated names): the cutover reads its caller's, read-only.",
    );

    const approval = props.approval?.function;
    addFunctionEnvironment(props.planFunction.function, 'rewind-control', {
      APPROVAL_REQUIRED: approval !== undefined,
      STS_HOST: stsHost(stack.region, stack.urlSuffix),
      ACCOUNT: stack.account,
    });
    if (approval) {
      // The restore's approval function approves this machine's executions too, and reads the asking one.
      addFunctionEnvironment(approval.function, 'restore-approval', {
        REWIND_STATE_MACHINE_ARN: this.rewindStateMachineArn,
      });
      approval.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'CheckTheAskingRewindExecution',
          actions: ['states:DescribeExecution'],
          resources: [executions],
        }),
      );
      acknowledgeWildcard(
        approval.role,
        `Resource::arn:${partition}:states:${stack.region}:${stack.account}:execution:${props.rewindStateMachineName}:*`,
        "Executions of the rewind state machine (generated names): the approval reads the asking one's, read-only.",
      );
    }

    // A Catch cannot see an aborted or timed-out rewind: the restore's roll-back machine runs for those too.
    rollBackOnAbnormalEnd(this, this, {
      environment: props.environment,
      workflow: 'rewind',
      watched: this.rewindStateMachineArn,
      rollBack: props.rollBackStateMachine,
    });
  }

  /**
   * The states: rename production aside, wait until it is available under that name, rename the replica into the
   * production name, wait until an available instance holds it; then `done`. Any failure rolls back, then `failed`.
   * Results go under `$.steps` (approval, renameSource, renameTarget, cutOver, rollBack) for the report. Where a
   * second person must approve, the restore's approval states come first; without an approval the rewind ends
   * (`failed`, which reports it) with nothing renamed.
   */
  chain(done: sfn.IChainable, failed: sfn.IChainable): sfn.IChainable {
    const renames = this.renames(done, failed);
    const approval = this.props.approval;
    if (!approval) return renames;
    const states = {
      scope: this,
      invoke: (id: string, fn: LambdaFunction, payload: Record<string, unknown> | undefined, resultPath: string) =>
        invoke(this, id, fn, payload, resultPath),
      failWith: (id: string, error: string, cause: string) => recordError(this, id, error, cause),
    };
    const recordApproval = new sfn.Pass(this, 'RecordApproval', {
      parameters: { 'approvedBy.$': '$.approval.approvedBy', 'approvedAt.$': '$.approval.approvedAt' },
      resultPath: '$.steps.approval',
    });
    recordApproval.next(renames);
    return approvalStates(states, approval.function, approval.timeout, recordApproval, failed, 'rewind');
  }

  private renames(done: sfn.IChainable, failed: sfn.IChainable): sfn.IChainable {
    const { cutover, statusFunction, poll } = this.props;
    const status = (id: string, instanceId: string, since: string) =>
      invoke(
        this,
        id,
        statusFunction,
        {
          'instanceId.$': instanceId,
          'since.$': since,
          maxWaitSeconds: REWIND_RENAME_WAIT.toSeconds(),
          missingIsPending: true,
        },
        '$.renameStatus',
      );

    const rollBack = planRollBack(this, 'RollBackProductionName', 'RewindRollBackFailed', cutover, failed);
    rollBack.next(
      new sfn.Pass(this, 'RecordRollBack', {
        parameters: { 'holder.$': '$.rollBack.holder', 'at.$': '$.rollBack.at' },
        resultPath: '$.steps.rollBack',
      }).next(failed),
    );
    // Wait until an available instance holds `holder` (missing = still renaming); any failure rolls back.
    const renamed = (name: string, look: string, holder: string, step: string, next: sfn.IChainable, what: string) => {
      const check = status(look, holder, `${step}.at`);
      check.addCatch(rollBack, { resultPath: '$.error' });
      const failed = ['failed', 'timedOut'] as const;
      return pollUntil(this, {
        waitId: `WaitFor${name}`,
        choiceId: `${name}?`,
        interval: poll,
        check,
        until: sfn.Condition.booleanEquals('$.renameStatus.available', true),
        next,
        unless: [
          instanceEnd(this, `${name}Failed`, '$.renameStatus', failed, 'CutoverFailed', `${what}: {} is {}`, rollBack),
        ],
      });
    };
    const rename = (id: string, action: 'rename-source' | 'rename-target', step: string) =>
      renameTask(this, id, cutover, action, step, rollBack);

    const cutOver = new sfn.Pass(this, 'RecordCutOver', {
      parameters: { 'at.$': '$.renameStatus.checkedAt', 'holder.$': '$.plan.targetInstanceId' },
      resultPath: '$.steps.cutOver',
    }).next(done);
    // Each wait is wired before its rename (as in the restore's cutover): the definition lists states in that order.
    const nameHeld = renamed(
      'ProductionNameHeld',
      'ProductionNameStatus',
      '$.plan.sourceInstanceId',
      '$.steps.renameTarget',
      cutOver,
      'renaming the promoted replica into the production name',
    );
    const renameTarget = rename('RenameReplicaIntoProduction', 'rename-target', '$.steps.renameTarget');
    renameTarget.next(nameHeld);
    const aside = renamed(
      'ProductionAside',
      'ProductionAsideStatus',
      '$.plan.preRestoreInstanceId',
      '$.steps.renameSource',
      renameTarget,
      'renaming production aside',
    );
    const renameSource = rename('RenameProductionAside', 'rename-source', '$.steps.renameSource');
    renameSource.next(aside);
    return renameSource;
  }
}
