import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { LambdaFunction } from '../../lib/constructs/lambda-function.js';
import { testApp } from '../support/app.js';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'echo');

function build(app: App, props: Partial<ConstructorParameters<typeof LambdaFunction>[2]> = {}) {
  const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'ap-northeast-2' } });
  const logKey = new kms.Key(stack, 'Key');
  const fn = new LambdaFunction(stack, 'Fn', {
    entry: FIXTURE,
    description: 'test function',
    logKey,
    logRetention: logs.RetentionDays.ONE_MONTH,
    invokedBy: 'step-functions',
    ...props,
  });
  return { stack, fn, template: Template.fromStack(stack) };
}

describe('LambdaFunction', () => {
  it('applies our defaults: Node.js 22 on ARM64, no X-Ray tracing, bounded concurrency, JSON logs, source maps', () => {
    const { template } = build(testApp());
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: Match.absent(),
      ReservedConcurrentExecutions: 5,
      MemorySize: 256,
      Timeout: 60,
      LoggingConfig: { LogFormat: 'JSON' },
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
  });

  it('logs to its own log group, encrypted with the given key, with retention', () => {
    const { template } = build(testApp());
    const [groupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 30,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: groupId } } });
  });

  it('gives the role permission to write its own log group only, and no AWS-managed policy outside a VPC', () => {
    const { template } = build(testApp());
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles).toHaveLength(1);
    expect(roles[0].Properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const logStatement = statements.find((s) => JSON.stringify(s.Action).includes('logs:PutLogEvents'));
    expect(logStatement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FnLogs/), 'Arn'] });
  });

  it('runs in the given VPC subnets and security groups', () => {
    const app = testApp();
    const stack = new Stack(app, 'Net', { env: { account: '111111111111', region: 'ap-northeast-2' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      availabilityZones: ['ap-northeast-2a', 'ap-northeast-2b'],
      subnetConfiguration: [{ name: 'i', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    new LambdaFunction(stack, 'Fn', {
      entry: FIXTURE,
      description: 'in a VPC',
      logKey: new kms.Key(stack, 'Key'),
      logRetention: logs.RetentionDays.ONE_MONTH,
      invokedBy: 'step-functions',
      vpc,
      securityGroups: [sg],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Sg'), 'GroupId'] }] },
    });
    // Lambda needs ENI permissions to place a function in a VPC.
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [
        Match.objectLike({
          'Fn::Join': [
            '',
            Match.arrayWith([Match.stringLikeRegexp(':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole')]),
          ],
        }),
      ],
    });
  });

  it('requires a dead-letter queue for functions EventBridge invokes asynchronously', () => {
    expect(() => build(testApp(), { invokedBy: 'eventbridge' })).toThrow(/needs a deadLetterQueue/);
    const app = testApp();
    const stack = new Stack(app, 'Dlq');
    const queue = new sqs.Queue(stack, 'Q');
    expect(
      () =>
        new LambdaFunction(stack, 'Fn', {
          entry: FIXTURE,
          description: 'async',
          logKey: new kms.Key(stack, 'K'),
          logRetention: logs.RetentionDays.ONE_MONTH,
          invokedBy: 'eventbridge',
          deadLetterQueue: queue,
        }),
    ).not.toThrow();
  });

  it('bundles with the local esbuild (no Docker): minified code and a source map', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'authdb-bundle-'));
    const app = new App({ outdir });
    build(app);
    app.synth();
    const assetDirs = readdirSync(outdir).filter((d) => d.startsWith('asset.'));
    const bundle = assetDirs.map((d) => path.join(outdir, d)).find((d) => existsSync(path.join(d, 'index.js')));
    expect(bundle, 'an asset folder with index.js').toBeDefined();
    expect(existsSync(path.join(bundle!, 'index.js.map'))).toBe(true);
    const code = readFileSync(path.join(bundle!, 'index.js'), 'utf8');
    expect(code).toContain('echo');
    expect(code.split('\n').length).toBeLessThan(5);
  });

  it('takes the AWS SDK from the dependencies layer: the bundle requires it, the layer holds it once', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'authdb-bundle-'));
    // Asset metadata (which folder holds which asset), as the CDK CLI asks for it.
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const { template } = build(app, { entry: path.join(__dirname, '..', 'fixtures', 'rds-client') });
    const assembly = app.synth();
    const [layerId] = Object.keys(template.findResources('AWS::Lambda::LayerVersion'));
    template.hasResourceProperties('AWS::Lambda::Function', { Layers: [{ Ref: layerId }] });
    const resources = assembly.getStackByName('Test').template.Resources as Record<
      string,
      { Type: string; Metadata?: Record<string, string> }
    >;
    const assetOf = (type: string) =>
      path.join(outdir, Object.values(resources).find((r) => r.Type === type)!.Metadata!['aws:asset:path']!);
    const code = readFileSync(path.join(assetOf('AWS::Lambda::Function'), 'index.js'), 'utf8');
    expect(code).toContain('require("@aws-sdk/client-rds")');
    expect(code.length).toBeLessThan(5_000);
    const client = path.join(assetOf('AWS::Lambda::LayerVersion'), 'nodejs/node_modules/@aws-sdk/client-rds/index.js');
    // The ES module build lets esbuild keep only what the package exports; the layer's copy loads on its own.
    const rds = require(client) as { DescribeDBInstancesCommand?: unknown };
    expect(typeof rds.DescribeDBInstancesCommand).toBe('function');
  });

  it('changes the asset when code the handler imports changes, and only then (hashed by the bundle)', () => {
    const source = mkdtempSync(path.join(tmpdir(), 'authdb-entry-'));
    mkdirSync(path.join(source, 'fn'));
    mkdirSync(path.join(source, 'shared'));
    writeFileSync(path.join(source, 'fn', 'handler.ts'), "export { handler } from '../shared/impl';\n");
    const codeKey = (impl: string) => {
      writeFileSync(path.join(source, 'shared', 'impl.ts'), `export const handler = async () => ${impl};\n`);
      const { template } = build(new App({ outdir: mkdtempSync(path.join(tmpdir(), 'authdb-bundle-')) }), {
        entry: path.join(source, 'fn'),
      });
      return JSON.stringify(Object.values(template.findResources('AWS::Lambda::Function'))[0]!.Properties.Code);
    };
    const first = codeKey("'one'");
    expect(codeKey("'one'")).toBe(first);
    // The entry folder is unchanged: a hash of it would deploy the old code.
    expect(codeKey("'two'")).not.toBe(first);
  });
});
