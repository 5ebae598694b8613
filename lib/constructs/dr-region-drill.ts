import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { stateMachineName as workflowName } from '../../contract/names.js';
import { type DrRegionDrillAlarms, drRegionDrillAlarms } from './dr-region-drill/alarms.js';
import { drRegionDrillStateMachine } from './dr-region-drill/definition.js';
import { type DrRegionDrillFunctions, drRegionDrillFunctions } from './dr-region-drill/functions.js';
import { scratchPlacement } from './dr-region-drill/network.js';
import { grantDrRegionDrillPermissions } from './dr-region-drill/permissions.js';
import type { DrRegionDrillProps } from './dr-region-drill/props.js';
import { stateMachineArns } from './workflow-parts/arns.js';
import { drillSchedule, scratchCleanupRules } from './workflow-parts/scratch-lifecycle.js';

export type { DrRegionDrillProps } from './dr-region-drill/props.js';

/** How often the age of the last successful DR-region drill is published (the alarm looks at one day). */
const AGE_SCHEDULE = Duration.hours(6);

/**
 * The monthly DR-region drill: restores the automated backups replicated to the DR region into a scratch instance
 * in the DR VPC, verifies it with the primary drill's verifier (exactly against the primary counted at C when the
 * primary region answers, totals otherwise), reports RTO and RPO to the DR-region bucket, metrics and topic, and
 * deletes the scratch instance on every path (Catch, an EventBridge rule for aborted and timed-out executions, and
 * an hourly sweeper). Self-contained: everything it needs comes in as props. The parts live in dr-region-drill/;
 * what it shares with the primary drill lives in workflow-parts/.
 */
export class DrRegionDrill extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly scratchSecurityGroup: ec2.SecurityGroup;
  readonly functions: DrRegionDrillFunctions;
  readonly alarms: DrRegionDrillAlarms;

  constructor(scope: Construct, id: string, props: DrRegionDrillProps) {
    super(scope, id);
    const { config } = props;
    const env = config.name;
    const stateMachineName = workflowName(env, 'dr-region-drill');
    const { stateMachineArn, executionsArn } = stateMachineArns(this, stateMachineName);

    const placement = scratchPlacement(this, props);
    this.scratchSecurityGroup = placement.securityGroup;
    const { functions, deleters } = drRegionDrillFunctions(this, props, placement, stateMachineArn);
    this.functions = functions;
    grantDrRegionDrillPermissions(this, props, functions, {
      stateMachineName,
      stateMachineArn,
      executionsArn,
      placement,
    });
    this.stateMachine = drRegionDrillStateMachine(this, props, functions, stateMachineName);

    drillSchedule(this, {
      what: 'monthly DR-region drill',
      environment: env,
      stateMachine: this.stateMachine,
      expression: config.drRegionDrill.schedule,
      timeZone: config.drill.scheduleTimeZone,
      enabled: config.drRegionDrill.enabled,
    });
    scratchCleanupRules(this, deleters, {
      drill: 'DR-region drill',
      environment: env,
      stateMachine: this.stateMachine,
    });
    new events.Rule(this, 'PublishDrillAge', {
      description: `authdb-dr ${env}: publish the age of the last successful DR-region drill`,
      schedule: events.Schedule.rate(AGE_SCHEDULE),
      targets: [
        new eventsTargets.LambdaFunction(functions.age.function, {
          deadLetterQueue: deleters.deadLetters,
          retryAttempts: 2,
        }),
      ],
    });

    this.alarms = drRegionDrillAlarms(this, props, this.stateMachine);
  }
}
