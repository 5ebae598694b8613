import type { App } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { loadConfig } from '../../lib/config/load.js';
import type { EnvironmentConfig } from '../../lib/config/schema.js';
import { DrRegionDrill } from '../../lib/constructs/dr-region-drill.js';
import { EncryptionKey } from '../../lib/constructs/encryption-key.js';
import { Network } from '../../lib/constructs/network.js';
import { ReportBucket } from '../../lib/constructs/report-bucket.js';
import { EnvironmentStack } from '../../lib/stacks/environment-stack.js';
import { testApp } from './app.js';

/** A DR-region VPC CIDR for the fixture only (the DR network of issue 10 brings its own). */
const FIXTURE_CIDR = '10.142.0.0/16';

/**
 * A small stack in the DR region with what the DR-region drill takes as props (a VPC with isolated subnets, a key,
 * a topic, a report bucket, a security group for the Lambdas that talk to PostgreSQL) and the drill itself. The DR
 * recovery stack provides the same at merge.
 */
export class DrDrillFixtureStack extends EnvironmentStack {
  readonly drill: DrRegionDrill;
  readonly primaryInstanceArn: string;

  constructor(app: App, config: EnvironmentConfig) {
    const account = config.account;
    super(app, `authdb-dr-${config.name}-dr-drill-fixture`, {
      config,
      zones: config.availabilityZones.dr,
      env: { account, region: config.drRegion },
    });
    const key = new EncryptionKey(this, 'DrDatabaseKey', {
      alias: `authdb-dr/${config.name}/dr-database`,
      description: `authdb ${config.name}: DR-region database, replicated backups, logs`,
      administration: this.keyAdministration,
    }).key;
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${account}:*` },
        },
      }),
    );
    const vpc = new Network(this, 'Network', {
      availabilityZones: this.availabilityZones,
      cidr: FIXTURE_CIDR,
      logKey: key,
      logRetention: config.logRetentionDays,
    }).vpc;
    const lambdaSecurityGroup = new ec2.SecurityGroup(this, 'PostgresClients', {
      vpc,
      description: 'DR-region Lambdas that talk to PostgreSQL',
      allowAllOutbound: false,
    });
    const alertTopic = new sns.Topic(this, 'Alerts', { masterKey: key, enforceSSL: true });
    const reports = new ReportBucket(this, 'Reports', {
      key,
      retention: Duration.days(config.drill.reportRetentionDays),
      writtenBy: 'the DR-region drill report function (one object an execution)',
      whyNoReplication: 'Test fixture: the DR-region reports are the copy outside the primary region.',
    });
    this.primaryInstanceArn = `arn:aws:rds:${config.primaryRegion}:${account}:db:authdb-${config.name}`;
    this.drill = new DrRegionDrill(this, 'DrRegionDrill', {
      config,
      vpc,
      subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      lambdaSecurityGroup,
      key,
      alertTopic,
      reportBucket: reports.bucket,
      primaryInstanceId: `authdb-${config.name}`,
      primaryInstanceArn: this.primaryInstanceArn,
    });
  }
}

/** The fixture of one environment in a fresh test app (no bundling), with its template. */
export function drDrillFixture(
  envName: string,
  edit: (config: EnvironmentConfig) => EnvironmentConfig = (c) => c,
): { app: App; stack: DrDrillFixtureStack; template: () => Template } {
  const app = testApp();
  const stack = new DrDrillFixtureStack(app, edit(loadConfig(envName)));
  return { app, stack, template: () => Template.fromStack(stack) };
}
