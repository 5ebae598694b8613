import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { resourceName, stateMachineName } from '../../contract/names.js';
import { unsuccessfulExecutions } from './drill-alarms.js';
import { REWIND_RENAME_WAIT, RewindCutover } from './rewind-cutover.js';
import { rewindDefinition } from './rewind-workflow/definition.js';
import { type RewindFunctions, rewindFunctions } from './rewind-workflow/functions.js';
import { grantRewindPermissions } from './rewind-workflow/permissions.js';
import type { RewindWorkflowProps } from './rewind-workflow/props.js';
import { occurrenceAlarm } from './workflow-parts/alarms.js';
import { workflowStateMachine } from './workflow-parts.js';

export type { RewindWorkflowProps } from './rewind-workflow/props.js';

/**
 * The rewind for bad writes: freeze the delayed replica's replay at once, refuse when it has already replayed past
 * the incident time T, otherwise set a recovery target just before T, reboot the replica so it replays to it, promote
 * it, verify it and report. The functions take the replica and its parameter group from their own configuration.
 * The parts live in rewind-workflow/: functions, permissions and the definition; the cutover is rewind-cutover.ts.
 */
export class RewindWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: RewindFunctions;
  readonly replaySecurityGroup: ec2.SecurityGroup;
  readonly handover: RewindCutover;
  /** Any failed, timed-out or aborted rewind: the report e-mail alone could be the thing that failed. */
  readonly unsuccessfulAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: RewindWorkflowProps) {
    super(scope, id);
    const name = stateMachineName(props.environment, 'rewind');
    const { functions, replaySecurityGroup } = rewindFunctions(this, props);
    this.functions = functions;
    this.replaySecurityGroup = replaySecurityGroup;
    grantRewindPermissions(this, props, functions);
    this.handover = new RewindCutover(this, 'Cutover', {
      environment: props.environment,
      cutover: props.cutover.function,
      rollBackStateMachine: props.cutover.rollBackStateMachine,
      statusFunction: props.statusFunction,
      replica: props.replica,
      rewindStateMachineName: name,
      poll: props.poll,
      planFunction: functions.control,
      ...(props.cutover.approval ? { approval: props.cutover.approval } : {}),
    });
    // The cutover's own functions are invoked too (the restore's cutover and approval, the drill's instance status).
    const invokes = [
      ...Object.values(functions),
      props.cutover.function,
      props.statusFunction,
      ...(props.cutover.approval ? [props.cutover.approval.function] : []),
    ];
    this.stateMachine = workflowStateMachine(this, {
      ...props,
      name,
      comment:
        'Rewind the delayed replica to just before the incident time T (input {"incidentTime": "...", "dryRun": false}), promote and verify it',
      start: rewindDefinition(this, props, functions, this.handover),
      timeout: props.replayTimeout
        .plus(props.promoteTimeout)
        .plus(props.promoteTimeout)
        .plus(REWIND_RENAME_WAIT)
        .plus(REWIND_RENAME_WAIT)
        .plus(props.poll)
        .plus(props.cutover.approval?.timeout ?? Duration.seconds(0)),
      invokes,
    });
    const description =
      'a rewind execution failed, timed out or was aborted; check which instance holds the production name';
    this.unsuccessfulAlarm = occurrenceAlarm(this, 'RewindUnsuccessful', {
      alarmName: resourceName(props.environment, 'rewind', 'RewindUnsuccessful'),
      alarmDescription: `authdb-dr ${props.environment}: ${description}`,
      metric: unsuccessfulExecutions(this.stateMachine, description),
      topic: props.alertTopic,
    });
  }
}
