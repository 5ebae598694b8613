import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { FunctionEntry } from '../../contract/env.js';
import { type PostgresServer, postgresClientGroup } from './database-parts.js';
import type { LambdaFunction } from './lambda-function.js';
import { acknowledgeWildcard } from './nag.js';
import type { workflowFunctions } from './workflow-parts.js';

/**
 * The pieces the two promotion workflows (failover: region loss; rewind: bad writes) are both built from: a control
 * function that plans first, a database function in the VPC, and a report function that ends every execution.
 */

/** What the report function gets, on success and on failure alike. */
const REPORT_PAYLOAD = {
  'plan.$': '$.plan',
  'steps.$': '$.steps',
  'error.$': '$.error',
  'execution.$': '$$.Execution',
};

/**
 * The first state: the control function validates the input (`$`) against `$$.Execution` and returns the plan, which
 * replaces the input. Nothing has changed yet, so a failure ends the execution at once with the function's own error.
 */
export function planTask(scope: Construct, control: LambdaFunction, comment: string): tasks.LambdaInvoke {
  const plan = new tasks.LambdaInvoke(scope, 'Plan', {
    lambdaFunction: control.function,
    payload: sfn.TaskInput.fromObject({ action: 'plan', 'input.$': '$', 'execution.$': '$$.Execution' }),
    payloadResponseOnly: true,
    resultSelector: { 'plan.$': '$' },
    comment,
  });
  plan.addCatch(new sfn.Fail(scope, 'InvalidInput', { errorPath: '$.error.Error', causePath: '$.error.Cause' }), {
    resultPath: '$.error',
  });
  return plan;
}

export interface ReportEnding {
  /** Reports a success, then succeeds with the report as output. */
  readonly success: tasks.LambdaInvoke;
  /** Reports the failure in `$.error`, then fails with it (also when the report itself fails). */
  readonly failure: tasks.LambdaInvoke;
}

/** The two endings every execution takes: `Report` → `succeededId`, or `ReportFailure` → `failedId`. */
export function reportEnding(
  scope: Construct,
  report: LambdaFunction,
  ids: { succeeded: string; failed: string },
): ReportEnding {
  const call = (id: string) =>
    new tasks.LambdaInvoke(scope, id, {
      lambdaFunction: report.function,
      payload: sfn.TaskInput.fromObject(REPORT_PAYLOAD),
      payloadResponseOnly: true,
      resultPath: '$.report',
    });
  const success = call('Report');
  success.next(new sfn.Succeed(scope, ids.succeeded, { outputPath: '$.report' }));
  const failure = call('ReportFailure');
  const failed = new sfn.Fail(scope, ids.failed, { errorPath: '$.error.Error', causePath: '$.error.Cause' });
  failure.addCatch(failed, { resultPath: '$.reportError' });
  failure.next(failed);
  return { success, failure };
}

/** RDS control calls are retried when throttled; any task's error goes to the failure report. */
export function guardTasks(
  failure: sfn.IChainable,
  throttled: tasks.LambdaInvoke[],
  others: tasks.LambdaInvoke[],
): void {
  for (const task of throttled) {
    task.addRetry({ errors: ['Throttling', 'ThrottlingException'], maxAttempts: 4, backoffRate: 2 });
  }
  for (const task of [...throttled, ...others]) task.addCatch(failure, { resultPath: '$.error' });
}

type FunctionFactory = ReturnType<typeof workflowFunctions>;

export interface DatabaseFunctionProps {
  readonly vpc: ec2.IVpc;
  /** Id and description of the function's own security group. */
  readonly securityGroup: { readonly id: string; readonly description: string };
  /** What the function talks PostgreSQL to, and nothing else. */
  /** The database(s) reached, and the construct their ingress rule is named after (its logical id is deployed). */
  readonly database: PostgresServer;
  /** Description of both rules (who connects, to what). */
  readonly why: string;
  readonly environment: Record<string, string>;
}

/**
 * A function in the isolated subnets whose security group reaches `databases` on PostgreSQL only. `connections.allowTo`
 * adds the egress rule here and the databases' ingress rule; a database in another stack gets that rule in this stack,
 * so the database stack never depends on its clients.
 */
export function databaseFunction(
  scope: Construct,
  fn: FunctionFactory,
  entry: FunctionEntry,
  description: string,
  props: DatabaseFunctionProps,
): { function: LambdaFunction; securityGroup: ec2.SecurityGroup } {
  const securityGroup = postgresClientGroup(scope, props.securityGroup.id, props.vpc, props.database, {
    group: props.securityGroup.description,
    egress: props.why,
    ingress: props.why,
  });
  const created = fn(entry, description, {
    vpc: props.vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    securityGroups: [securityGroup],
    // Verification counts every configured table.
    timeout: Duration.minutes(5),
    environment: props.environment,
  });
  return { function: created, securityGroup };
}

/** `rds-db:connect` as `user` on the instance with resource id `resourceId` (`*`: whichever instance has it). */
export function dbUserArn(scope: Construct, resourceId: string, user: string): string {
  return Stack.of(scope).formatArn({
    service: 'rds-db',
    resource: 'dbuser',
    resourceName: `${resourceId}/${user}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** How cdk-nag prints an ARN of this stack's partition, region and account (`Resource::arn:…`). */
export function nagArn(scope: Construct, service: string, rest: string): string {
  const stack = Stack.of(scope);
  const literal = (value: string, token: string) => (Token.isUnresolved(value) ? token : value);
  const partition = literal(stack.partition, '<AWS::Partition>');
  const region = literal(stack.region, '<AWS::Region>');
  const account = literal(stack.account, '<AWS::AccountId>');
  return `Resource::arn:${partition}:${service}:${region}:${account}:${rest}`;
}

export interface ReportGrants {
  readonly bucket: s3.IBucket;
  /** Key prefix of this workflow's reports, e.g. `failovers`. */
  readonly prefix: string;
  /** The bucket's key. */
  readonly key: kms.IKey;
  readonly topic: sns.ITopic;
  /** What one execution is called in the acknowledgement, e.g. `failover`. */
  readonly execution: string;
}

/** The report function writes one object under its prefix and publishes to the alert topic; nothing else. */
export function grantReport(report: LambdaFunction, props: ReportGrants): void {
  const stack = Stack.of(report);
  report.role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [props.bucket.arnForObjects(`${props.prefix}/*`)],
    }),
  );
  acknowledgeWildcard(
    report.role,
    `Resource::<${stack.getLogicalId(props.bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${props.prefix}/*`,
    `One report object per ${props.execution} execution, under ${props.prefix}/ only.`,
  );
  report.role.addToPolicy(
    new iam.PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [props.key.keyArn] }),
  );
  props.topic.grantPublish(report.role);
  acknowledgeWildcard(
    report.role,
    'Action::kms:GenerateDataKey*',
    "CDK's grant to publish to the encrypted alert topic: the topic key only.",
  );
}
