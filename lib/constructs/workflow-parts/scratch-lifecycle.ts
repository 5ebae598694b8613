import { Duration, Stack, TimeZone } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FunctionEntry } from '../../../contract/env.js';
import { workflowEnvironment } from '../function-environment.js';
import type { LambdaFunction, LambdaFunctionProps } from '../lambda-function.js';
import { acknowledgeInlinePolicy } from '../nag.js';

type FunctionFactory = (
  entry: FunctionEntry,
  description: string,
  more?: Partial<LambdaFunctionProps>,
) => LambdaFunction;

/** What deletes a drill's scratch instances: its own cleanup, and the sweeper for anything left behind. */
export interface ScratchDeleters {
  readonly cleanup: LambdaFunction;
  readonly sweeper: LambdaFunction;
  /** Events the deleters could not handle, kept 14 days. */
  readonly deadLetters: sqs.Queue;
}

/**
 * The cleanup and sweeper functions of a drill (`drill`: what the descriptions call it) and their dead-letter
 * queue, with construct id `deadLettersId`.
 */
export function scratchDeleters(
  scope: Construct,
  fn: FunctionFactory,
  props: { drill: string; key: kms.IKey; deadLettersId: string; sweeperMaxAgeHours: number },
): ScratchDeleters {
  const deadLetters = new sqs.Queue(scope, props.deadLettersId, {
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const cleanup = fn('drill-cleanup', `${props.drill} cleanup (deletes its own scratch instance)`, {
    invokedBy: 'eventbridge',
    deadLetterQueue: deadLetters,
    timeout: Duration.minutes(2),
  });
  const sweeper = fn('drill-sweeper', `${props.drill} sweeper (deletes abandoned scratch instances)`, {
    invokedBy: 'eventbridge',
    deadLetterQueue: deadLetters,
    timeout: Duration.minutes(5),
    environment: workflowEnvironment('drill-sweeper', { MAX_AGE_HOURS: props.sweeperMaxAgeHours }),
  });
  return { cleanup, sweeper, deadLetters };
}

export interface DrillScheduleProps {
  /** What the schedule starts, e.g. `weekly DR drill`. */
  readonly what: string;
  readonly environment: string;
  readonly stateMachine: sfn.IStateMachine;
  /** EventBridge Scheduler expression, in `timeZone`. */
  readonly expression: string;
  readonly timeZone: string;
  /** @default true */
  readonly enabled?: boolean;
}

/** The scheduled start (`{}`: the default drill), under a role only EventBridge Scheduler of this account assumes. */
export function drillSchedule(scope: Construct, props: DrillScheduleProps): scheduler.Schedule {
  const scheduleRole = new iam.Role(scope, 'ScheduleRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: `authdb-dr ${props.environment}: starts the ${props.what}`,
  });
  acknowledgeInlinePolicy(scheduleRole);
  return new scheduler.Schedule(scope, 'Schedule', {
    description: `authdb-dr ${props.environment}: ${props.what}`,
    schedule: scheduler.ScheduleExpression.expression(props.expression, TimeZone.of(props.timeZone)),
    ...(props.enabled === undefined ? {} : { enabled: props.enabled }),
    target: new schedulerTargets.StepFunctionsStartExecution(props.stateMachine, {
      input: scheduler.ScheduleTargetInput.fromObject({}),
      retryAttempts: 0,
      role: scheduleRole,
    }),
  });
}

/**
 * A Catch cannot see a timed-out, aborted or runtime-failed execution: EventBridge runs the cleanup after those.
 * The sweeper runs hourly for whatever is left (`drill`: what the descriptions call the drill).
 */
export function scratchCleanupRules(
  scope: Construct,
  d: ScratchDeleters,
  props: { drill: string; environment: string; stateMachine: sfn.IStateMachine },
): void {
  new events.Rule(scope, 'CleanupAfterAbnormalEnd', {
    description: `authdb-dr ${props.environment}: delete the scratch instance of a ${props.drill} that ended abnormally`,
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [props.stateMachine.stateMachineArn] },
    },
    targets: [
      new eventsTargets.LambdaFunction(d.cleanup.function, { deadLetterQueue: d.deadLetters, retryAttempts: 8 }),
    ],
  });
  new events.Rule(scope, 'SweepHourly', {
    description: `authdb-dr ${props.environment}: delete ${props.drill} scratch instances older than their maximum age`,
    schedule: events.Schedule.rate(Duration.hours(1)),
    targets: [
      new eventsTargets.LambdaFunction(d.sweeper.function, { deadLetterQueue: d.deadLetters, retryAttempts: 2 }),
    ],
  });
}

/** Where a drill's scratch instance goes. */
export interface ScratchPlacement {
  /** Admits PostgreSQL from the verifier only. */
  readonly securityGroup: ec2.ISecurityGroup;
  readonly subnetGroupName: string;
  readonly parameterGroupName: string;
}

/** The function that restores a drill's scratch instance (`entry`: the drill's restore handler), placed as given. */
export function scratchRestoreFunction(
  fn: FunctionFactory,
  entry: 'drill-restore' | 'dr-drill-restore',
  description: string,
  instanceClass: string,
  placement: ScratchPlacement,
): LambdaFunction {
  return fn(entry, description, {
    environment: workflowEnvironment(entry, {
      DRILL_INSTANCE_CLASS: instanceClass,
      DRILL_SUBNET_GROUP: placement.subnetGroupName,
      DRILL_SECURITY_GROUP_ID: placement.securityGroup.securityGroupId,
      PARAMETER_GROUP: placement.parameterGroupName,
    }),
  });
}
