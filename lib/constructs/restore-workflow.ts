import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { resourceName, stateMachineName as workflowName } from '../../contract/names.js';
import { unsuccessfulExecutions } from './drill-alarms.js';
import { rollBackMachine } from './restore-workflow/cutover.js';
import { restoreStateMachine } from './restore-workflow/definition.js';
import { type RestoreFunctions, restoreFunctions } from './restore-workflow/functions.js';
import { grantRestorePermissions } from './restore-workflow/permissions.js';
import type { RestoreWorkflowProps } from './restore-workflow/props.js';
import { occurrenceAlarm } from './workflow-parts/alarms.js';

export type { RestoreWorkflowProps } from './restore-workflow/props.js';

/**
 * The restore workflow an operator starts during an incident: validate everything first, restore into a NEW
 * instance with production settings, apply what the restore API cannot set, verify it like a drill, report, and
 * only with an explicit confirmation rename it into the source's place (rolling back if that fails). A restored
 * instance is never deleted by this workflow. The parts live in restore-workflow/: functions, permissions (with
 * their cdk-nag acknowledgements), the definition, and the cutover with its roll-back.
 */
export class RestoreWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Rolls back the cutover of a restore execution that ended with no Catch (aborted, timed out). */
  readonly rollBackStateMachine: sfn.StateMachine;
  /** Every unsuccessful restore and every roll-back that could not converge, to the alert topic. */
  readonly alarms: Record<'RestoreUnsuccessful' | 'RollBackUnsuccessful', cloudwatch.Alarm>;
  readonly functions: RestoreFunctions;
  /** The only role that may rename the production instance. */
  readonly cutoverRole: iam.IRole;
  /** Executions of the restore state machine (the cutover checks that one of them is its caller). */
  readonly executionsArn: string;

  constructor(scope: Construct, id: string, props: RestoreWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const sourceId = props.database.instanceIdentifier;

    // Built from the fixed name: the cutover function checks its caller against it, and the machine invokes it.
    const stateMachineName = workflowName(props.environment, 'restore');
    const stateMachineArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.executionsArn = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.functions = restoreFunctions(this, props, sourceId, stateMachineArn);
    this.cutoverRole = this.functions.cutover.role;
    grantRestorePermissions(this, props, this.functions, this.executionsArn);

    this.stateMachine = restoreStateMachine(this, props, this.functions, stateMachineName);
    this.rollBackStateMachine = rollBackMachine(this, props, this.functions.cutover, this.stateMachine);

    const alarm = (id: keyof RestoreWorkflow['alarms'], sm: sfn.IStateMachine, description: string) =>
      occurrenceAlarm(this, id, {
        alarmName: resourceName(props.environment, 'restore', id),
        alarmDescription: `authdb-dr ${props.environment}: ${description}`,
        metric: unsuccessfulExecutions(sm, description),
        topic: props.alertTopic,
      });
    this.alarms = {
      RestoreUnsuccessful: alarm(
        'RestoreUnsuccessful',
        this.stateMachine,
        'a restore execution failed, timed out or was aborted; check which instance holds the production name',
      ),
      RollBackUnsuccessful: alarm(
        'RollBackUnsuccessful',
        this.rollBackStateMachine,
        'a cutover roll-back did not converge: the production name may be free; rename by hand (README, Cutover)',
      ),
    };
  }
}
