import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { LambdaFunction } from '../lambda-function.js';
import { acknowledgeWildcard } from '../nag.js';
import { rdsArn } from '../rds-guard.js';

/** A cdk-nag wildcard finding and the reason it is acceptable. */
export type Acknowledgement = readonly [finding: string, reason: string];

/** Adds `statement` to the function's role with the acknowledgements of the wildcards it holds, side by side. */
export function allow(fn: LambdaFunction, statement: iam.PolicyStatement, ...acks: Acknowledgement[]): void {
  fn.role.addToPolicy(statement);
  for (const [finding, reason] of acks) acknowledgeWildcard(fn.role, finding, reason);
}

/**
 * A resource as cdk-nag names it in a finding (`Resource::arn:…`): the partition is a literal only where CDK knows
 * it. `service` is `rds` or `rds-db`, `states`, `secretsmanager`…; the region defaults to the stack's.
 */
export function nagResource(scope: Construct, service: string, resource: string, name: string, region?: string) {
  const stack = Stack.of(scope);
  const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
  return `Resource::arn:${partition}:${service}:${region ?? stack.region}:${stack.account}:${resource}:${name}`;
}

/** DescribeDBInstances on every instance (a listing needs db:*), for each function, with its acknowledgement. */
export function allowDescribeAllInstances(scope: Construct, fns: LambdaFunction[]): void {
  const statement = new iam.PolicyStatement({
    actions: ['rds:DescribeDBInstances'],
    resources: [rdsArn(scope, 'db', '*')],
  });
  for (const fn of fns) {
    allow(fn, statement, [
      nagResource(scope, 'rds', 'db', '*'),
      'DescribeDBInstances without an identifier (listing) needs db:*; it reads metadata only.',
    ]);
  }
}

/**
 * rds-db:connect as the read-only verifier user on any instance of each region: restored instances get new
 * resource ids, so the user is the restriction.
 */
export function allowConnectAsVerifier(
  scope: Construct,
  fn: LambdaFunction,
  verifierUser: string,
  regions: string[] = [Stack.of(scope).region],
  instances = 'Scratch instances get new resource ids at restore',
): void {
  const stack = Stack.of(scope);
  allow(
    fn,
    new iam.PolicyStatement({
      sid: 'ConnectAsTheReadOnlyVerifier',
      actions: ['rds-db:connect'],
      resources: regions.map((region) =>
        stack.formatArn({
          service: 'rds-db',
          region,
          resource: 'dbuser',
          resourceName: `*/${verifierUser}`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ),
    }),
    ...regions.map(
      (region): Acknowledgement => [
        nagResource(scope, 'rds-db', 'dbuser', `*/${verifierUser}`, region),
        `${instances}; the grant is limited to the read-only verifier user.`,
      ],
    ),
  );
}

/** s3:PutObject under `prefix` of the report bucket, one object an execution. */
export function allowWriteReports(scope: Construct, fn: LambdaFunction, bucket: s3.IBucket, prefix: string): void {
  allow(fn, new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${prefix}/*`)] }), [
    `Resource::<${Stack.of(scope).getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/${prefix}/*`,
    `Objects under the ${prefix}/ prefix of the report bucket, one an execution, named by execution.`,
  ]);
}
