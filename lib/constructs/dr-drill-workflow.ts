import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stateMachineName as workflowName } from '../../contract/names.js';
import { drillStateMachine } from './dr-drill-workflow/definition.js';
import { type DrillFunctions, drillFunctions } from './dr-drill-workflow/functions.js';
import { drillNetwork } from './dr-drill-workflow/network.js';
import { grantDrillPermissions } from './dr-drill-workflow/permissions.js';
import type { DrDrillWorkflowProps } from './dr-drill-workflow/props.js';
import { stateMachineArns } from './workflow-parts/arns.js';
import { drillSchedule, scratchCleanupRules } from './workflow-parts/scratch-lifecycle.js';

export { SOURCE_RESTORABLE_WAIT } from './dr-drill-workflow/definition.js';
export type { DrDrillWorkflowProps } from './dr-drill-workflow/props.js';

/**
 * The scheduled DR drill: restore the production database into a scratch instance (point in time C, where the
 * source was counted, or a snapshot), verify the restored rows against the source, report RTO and RPO, and delete
 * the scratch instance on every path. Step Functions does all the waiting. The parts live in dr-drill-workflow/:
 * network, functions, permissions (with their cdk-nag acknowledgements) and the definition; what it shares with
 * the DR-region drill lives in workflow-parts/.
 */
export class DrDrillWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** Security group of the scratch instances: admits only the verifier. */
  readonly scratchSecurityGroup: ec2.SecurityGroup;
  readonly verifierSecurityGroup: ec2.SecurityGroup;
  readonly functions: DrillFunctions;

  constructor(scope: Construct, id: string, props: DrDrillWorkflowProps) {
    super(scope, id);
    const stateMachineName = workflowName(props.environment, 'drill');
    const { stateMachineArn, executionsArn } = stateMachineArns(this, stateMachineName);

    const network = drillNetwork(this, props);
    this.scratchSecurityGroup = network.scratchSecurityGroup;
    this.verifierSecurityGroup = network.verifierSecurityGroup;
    const { functions, deleters } = drillFunctions(this, props, network);
    this.functions = functions;
    grantDrillPermissions(this, props, functions, {
      stateMachineName,
      stateMachineArn,
      executionsArn,
      subnetGroupName: network.subnetGroupName,
    });
    this.stateMachine = drillStateMachine(this, props, functions, stateMachineName);

    drillSchedule(this, {
      what: 'weekly DR drill',
      environment: props.environment,
      stateMachine: this.stateMachine,
      expression: props.schedule,
      timeZone: props.scheduleTimeZone,
    });
    scratchCleanupRules(this, deleters, {
      drill: 'drill',
      environment: props.environment,
      stateMachine: this.stateMachine,
    });
  }
}
