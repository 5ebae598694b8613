import * as path from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { dependenciesLayer, LAYER_PACKAGES } from './dependencies-layer.js';
import { acknowledgeInlinePolicy } from './nag.js';

/** Folder holding one sub-folder per Lambda, each with a `handler.ts`. */
export const LAMBDA_ROOT = path.join(__dirname, '..', '..', 'lambda');

export interface LambdaFunctionProps {
  /** Folder under `lambda/` (or an absolute folder) whose `handler.ts` exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Encrypts the function's log group. */
  readonly logKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly environment?: Record<string, string>;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** Runs in these subnets. @default - outside any VPC */
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** Caps concurrent runs; these functions do a few calls a minute at most. @default 5 */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Who invokes the function. Functions invoked synchronously (Step Functions, custom resources) report errors
   * to their caller and need no dead-letter queue.
   */
  readonly invokedBy: 'step-functions' | 'custom-resource' | 'eventbridge';
  /** Dead-letter queue for asynchronous invocations (required when invoked by EventBridge). */
  readonly deadLetterQueue?: import('aws-cdk-lib/aws-sqs').IQueue;
}

/**
 * A Lambda function with this project's defaults: Node.js 22 on ARM64, bundled by the local esbuild (minified,
 * with source maps; see `bundleHandler`), an explicit encrypted log group with retention, no X-Ray tracing (see README), a role that can
 * write only its own logs, and bounded concurrency.
 */
export class LambdaFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LambdaFunctionProps) {
    super(scope, id);
    if (props.invokedBy === 'eventbridge' && !props.deadLetterQueue) {
      throw new Error(`${this.node.path}: a function invoked by EventBridge needs a deadLetterQueue`);
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      encryptionKey: props.logKey,
      // Kept when the stack goes (audit trail): a redeploy creates new groups, these keep their retention.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (Lambda execution role)`,
    });
    if (props.vpc) {
      // With a role of our own, CDK does not attach the ENI permissions a function in a VPC needs.
      this.role.addManagedPolicy(
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'),
      );
    }
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new lambda.Function(this, 'Resource', {
      code: handlerCode(path.resolve(LAMBDA_ROOT, props.entry)),
      handler: 'index.handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.minutes(1),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // Off: without a Powertools Tracer capturing the SDK clients a trace shows only the invocation, which the JSON
      // logs (request id, execution name as correlation id) already give; the README says when to turn it back on.
      tracing: lambda.Tracing.DISABLED,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 5,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      deadLetterQueue: props.deadLetterQueue,
      layers: [dependenciesLayer(this)],
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    });

    // Acknowledgements that hold for every function built here, each on this function's own resources.
    acknowledgeInlinePolicy(this.role);
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason:
        'Node.js 22 is the runtime this code is built (esbuild target node22) and tested for; moving to a newer ' +
        'runtime is a reviewed change, not something a deploy should do.',
    });
    if (props.vpc) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'ENI management for a function in a VPC supports no resource scoping.',
      });
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'The AWS-managed ENI policy for functions in a VPC; it grants only network-interface actions.',
      });
    } else {
      Validations.of(this.function).acknowledge(
        {
          id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaInsideVPC',
          reason: 'Calls only AWS APIs (no database connection), so it needs no VPC and no endpoints.',
        },
        {
          id: 'HIPAA.Security::HIPAA.Security-LambdaInsideVPC',
          reason: 'Calls only AWS APIs (no database connection).',
        },
      );
    }
    if (props.invokedBy !== 'eventbridge') {
      const reason = `Invoked synchronously by ${props.invokedBy}, which receives and handles every error; a DLQ would stay empty.`;
      Validations.of(this.function).acknowledge(
        { id: 'NIST.800.53.R5::NIST.800.53.R5-LambdaDLQ', reason },
        { id: 'HIPAA.Security::HIPAA.Security-LambdaDLQ', reason },
      );
    }
  }
}

/**
 * Bundles `<entryDir>/handler.ts` into `<outputDir>/index.js` (+ source map): minified CommonJS for Node.js 22, the
 * dependencies layer's packages left external (they load from /opt/nodejs/node_modules, pinned by the lock file).
 * esbuild runs in this process: `NodejsFunction` starts a shell and an esbuild process per function, which was
 * 17 of prod's 28 s of synth.
 */
export function bundleHandler(entryDir: string, outputDir: string): void {
  buildSync({
    entryPoints: [path.join(entryDir, 'handler.ts')],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // The packages' ES module builds let esbuild drop what is unused.
    mainFields: ['module', 'main'],
    external: [...LAYER_PACKAGES],
    outfile: path.join(outputDir, 'index.js'),
    logLevel: 'error',
  });
}

/**
 * The function's asset: bundled locally (no Docker), hashed by its output, so a change anywhere the handler imports
 * (lambda/shared, contract/) changes the asset and nothing else does. Skipped, like any bundling, for stacks not
 * being synthesized (`aws:cdk:bundling-stacks`).
 */
function handlerCode(entryDir: string): lambda.Code {
  return lambda.Code.fromAsset(entryDir, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: the local bundling below always succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
      local: {
        tryBundle(outputDir: string) {
          bundleHandler(entryDir, outputDir);
          return true;
        },
      },
    },
  });
}
