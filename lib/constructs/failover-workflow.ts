import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stateMachineName } from '../../contract/names.js';
import { failoverDefinition } from './failover-workflow/definition.js';
import { type FailoverFunctions, failoverFunctions } from './failover-workflow/functions.js';
import { grantFailoverPermissions } from './failover-workflow/permissions.js';
import type { FailoverWorkflowProps } from './failover-workflow/props.js';
import { workflowStateMachine } from './workflow-parts.js';

export type { FailoverWorkflowProps } from './failover-workflow/props.js';

/**
 * Region loss: make a writer in the DR region — promote the standby, or restore the replicated automated backups
 * (point in time) or a DR-vault recovery point — then verify it and report RTO by phase and RPO. Everything it calls
 * is in this region; its functions take the instance ids from their own configuration. The parts live in
 * failover-workflow/: functions, permissions (with their cdk-nag acknowledgements) and the definition.
 */
export class FailoverWorkflow extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly functions: FailoverFunctions;
  /** Security group of the verifier: admitted by the DR databases on PostgreSQL. */
  readonly verifierSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: FailoverWorkflowProps) {
    super(scope, id);
    const { functions, verifierSecurityGroup } = failoverFunctions(this, props);
    this.functions = functions;
    this.verifierSecurityGroup = verifierSecurityGroup;
    grantFailoverPermissions(this, props, functions);
    this.stateMachine = workflowStateMachine(this, {
      ...props,
      name: stateMachineName(props.environment, 'failover'),
      comment:
        'Region loss: {"mode": "promote"|"pitr"|"recovery-point", "confirmSourceInstanceId": "<primary id>", "dryRun": true} (README: region loss)',
      start: failoverDefinition(this, props, functions),
      timeout: props.restoreTimeout.plus(Duration.minutes(30)),
      invokes: [functions.control, functions.verify, functions.report],
    });
  }
}
