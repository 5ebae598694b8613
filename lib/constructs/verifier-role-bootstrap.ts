import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CustomResource, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { apiCallMessage, apiCallPattern } from './audit-alerts.js';
import type { AuthDatabase } from './auth-database.js';
import { BootstrapSecretAccess } from './bootstrap-secret-access.js';
import { postgresClientGroup, serverOf } from './database-parts.js';
import { LAMBDA_ROOT, LambdaFunction } from './lambda-function.js';

/** CloudFormation type of the custom resource. */
export const VERIFIER_ROLE_RESOURCE_TYPE = 'Custom::VerifierRole';

const POSTGRES_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Sources whose change must re-run the bootstrap against the database: the role's SQL and the handler logic. Their
 * hash is the resource's `Version`, so a changed grant reaches an existing database on the next deploy.
 */
const ROLE_LOGIC_SOURCES = [
  'shared/readonly-role.ts',
  'shared/dump-role.ts',
  'shared/verification-functions.ts',
  'shared/replay-control-role.ts',
  'verifier-role-bootstrap/bootstrap.ts',
];

export interface VerifierRoleBootstrapProps {
  readonly vpc: ec2.IVpc;
  /** The production database the role is created in. */
  readonly database: AuthDatabase;
  /**
   * The database's key, which encrypts the RDS-managed master secret; the secret-reader role may decrypt with it
   * only through Secrets Manager. It also encrypts the function's log group.
   */
  readonly key: kms.IKey;
  /** The read-only PostgreSQL role the drill verifier logs in as (IAM database authentication). */
  readonly roleName: string;
  /** The database the role may connect to. */
  readonly databaseName: string;
  /** Schemas put on the role's search_path. @default - none: the server's default search_path */
  readonly schemas?: string[];
  /** Also create the logical dump's read-only role (IAM authentication). @default - none */
  readonly dumpRoleName?: string;
  /**
   * The verified tables (the drill config's): the verification functions count and digest only these.
   * @default - none
   */
  readonly tables?: ReadonlyArray<{ name: string; timeColumn?: string; keyColumn?: string; digestColumns?: string[] }>;
  /** Also the rewind workflow's replay-control role (lambda/shared/replay-control-role.ts). @default - none */
  readonly replayControlRole?: string;
  readonly logRetention: logs.RetentionDays;
  /** Receives an alert whenever anyone but the secret-reader role (or RDS itself) reads an RDS-managed master secret. */
  readonly alertTopic: sns.ITopic;
}

/** The CloudFormation bucket of pre-signed custom-resource response URLs: its name has the region without dashes. */
export function customResourceResponseBucket(region: string): string {
  return `cloudformation-custom-resource-response-${region.replace(/-/g, '')}`;
}

/**
 * Creates the drill verifier's read-only login role in the production database at deploy time, idempotently: a
 * `Custom::VerifierRole` resource served directly by a function in the database's isolated subnets (no provider
 * framework, so no function outside the VPC), which logs in with the RDS-managed master secret over verified TLS.
 * The secret is read by a role the function assumes only while it handles a Create or Update
 * (`BootstrapSecretAccess`). The role is kept when the resource is deleted. Creates the Secrets Manager, STS and S3
 * endpoints the function needs.
 */
export class VerifierRoleBootstrap extends Construct {
  /** The custom resource; its `Role` attribute is the role name, available once the role exists. */
  readonly resource: CustomResource;
  readonly function: LambdaFunction;
  /** The function's security group: PostgreSQL to the database, HTTPS to Secrets Manager and S3, nothing in. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Interface endpoint (private DNS) whose policy admits only reading the master secret. */
  readonly secretsManagerEndpoint: ec2.InterfaceVpcEndpoint;
  /** The secret-reader role and the STS endpoint the function assumes it through. */
  readonly secretAccess: BootstrapSecretAccess;
  /** Gateway endpoint to S3 in the isolated subnets' route tables, for CloudFormation's response URL. */
  readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  readonly roleName: string;

  constructor(scope: Construct, id: string, props: VerifierRoleBootstrapProps) {
    super(scope, id);
    validate(this, props);
    const stack = Stack.of(this);
    const { database, vpc } = props;
    const isolated: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    const secretArn = (database.instance.node.defaultChild as rds.CfnDBInstance).attrMasterUserSecretSecretArn;
    this.roleName = props.roleName;

    this.securityGroup = postgresClientGroup(this, 'SecurityGroup', vpc, serverOf(database), {
      group: 'authdb verifier role bootstrap: PostgreSQL to the database, HTTPS to Secrets Manager and S3',
      egress: 'the production database',
      ingress: 'verifier role bootstrap (master user, deploy time)',
    });

    const endpointSecurityGroup = new ec2.SecurityGroup(this, 'SecretsManagerEndpointSecurityGroup', {
      vpc,
      description: 'authdb Secrets Manager endpoint: HTTPS from the verifier role bootstrap only',
      allowAllOutbound: false,
    });
    this.secretsManagerEndpoint = new ec2.InterfaceVpcEndpoint(this, 'SecretsManagerEndpoint', {
      vpc,
      service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: isolated,
      privateDnsEnabled: true,
      securityGroups: [endpointSecurityGroup],
      open: false,
    });
    this.secretsManagerEndpoint.connections.allowDefaultPortFrom(this.securityGroup, 'verifier role bootstrap');
    // The reader role is created below; its ARN is only known then.
    const endpointPolicy = new iam.PolicyStatement({
      principals: [new iam.AnyPrincipal()],
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secretArn],
    });
    this.secretsManagerEndpoint.addToPolicy(endpointPolicy);

    // CloudFormation's ResponseURL is a pre-signed URL of an S3 bucket in the stack's region.
    this.s3Endpoint = new ec2.GatewayVpcEndpoint(this, 'S3Endpoint', {
      vpc,
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [isolated],
    });
    if (Token.isUnresolved(stack.region)) {
      throw new Error(`${this.node.path}: the stack needs an explicit region (the response bucket's name contains it)`);
    }
    // Only PUTs to CloudFormation's response bucket of this region: the route serves no other S3 traffic.
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [`arn:${stack.partition}:s3:::${customResourceResponseBucket(stack.region)}/*`],
      }),
    );
    // S3's addresses differ by region and CloudFormation cannot look up its prefix list; isolated subnets route
    // HTTPS nowhere but to the VPC endpoints, so "any address" here means the S3 gateway endpoint.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'S3 through the gateway endpoint (CloudFormation response URL); isolated subnets have no other route',
    );

    this.function = new LambdaFunction(this, 'Function', {
      entry: 'verifier-role-bootstrap',
      description: `authdb-dr: creates the read-only PostgreSQL role ${props.roleName} for the DR drill verifier`,
      logKey: props.key,
      logRetention: props.logRetention,
      invokedBy: 'custom-resource',
      vpc,
      vpcSubnets: isolated,
      securityGroups: [this.securityGroup],
      timeout: Duration.minutes(2),
      // CloudFormation sends one request at a time for this one resource.
      reservedConcurrentExecutions: 1,
    });
    // The function's own role has no permission on the secret or its key: it assumes the reader role for one
    // Create or Update. The read is scoped so that nothing else can use it: the reader role only (here and in the
    // endpoint's policy), this secret only, and only through this VPC's endpoint, which admits only this function's
    // security group. Every other read of the secret alerts (below).
    this.secretAccess = new BootstrapSecretAccess(this, 'SecretAccess', {
      vpc,
      subnets: isolated,
      functionRole: this.function.role,
      functionSecurityGroup: this.securityGroup,
      secretArn,
      key: props.key,
      secretsManagerEndpoint: this.secretsManagerEndpoint,
    });
    endpointPolicy.addCondition('ArnEquals', { 'aws:PrincipalArn': this.secretAccess.readerRole.roleArn });

    // GetSecretValue is a read-only event: the rule must opt in to those. Any RDS-managed master secret (production's,
    // and those of restored copies, which hold the same data) read by anyone but the reader role's sessions or RDS
    // alerts.
    const secretRead = new events.Rule(this, 'MasterSecretRead', {
      description: 'authdb-dr audit: GetSecretValue on an RDS master secret by anyone but the bootstrap secret reader',
      eventPattern: apiCallPattern('secretsmanager', ['GetSecretValue'], {
        requestParameters: { secretId: events.Match.wildcard('*rds!db-*') },
        userIdentity: {
          arn: events.Match.anythingButWildcard(
            this.secretAccess.readerSessionArns,
            `arn:${stack.partition}:sts::${stack.account}:assumed-role/AWSServiceRoleForRDS/*`,
          ),
        },
      }),
      targets: [
        new targets.SnsTopic(props.alertTopic, { message: apiCallMessage('Read of a database master secret') }),
      ],
    });
    (secretRead.node.defaultChild as events.CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.function.functionArn,
      resourceType: VERIFIER_ROLE_RESOURCE_TYPE,
      properties: {
        Role: props.roleName,
        Database: props.databaseName,
        Host: database.instance.dbInstanceEndpointAddress,
        Port: database.instance.dbInstanceEndpointPort,
        SecretArn: secretArn,
        SecretReaderRoleArn: this.secretAccess.readerRole.roleArn,
        Schemas: props.schemas ?? [],
        ...(props.dumpRoleName ? { DumpRole: props.dumpRoleName } : {}),
        Tables: JSON.stringify(props.tables ?? []),
        ...(props.replayControlRole === undefined ? {} : { ReplayControlRole: props.replayControlRole }),
        Version: roleLogicVersion(),
      },
    });
    // Everything the function needs at run time must exist before CloudFormation invokes it: the database, its
    // ingress rule for this function, the endpoints and their rules, the function's permissions and the reader role.
    this.resource.node.addDependency(
      database.instance,
      database.securityGroup,
      this.securityGroup,
      this.secretsManagerEndpoint,
      endpointSecurityGroup,
      this.s3Endpoint,
      this.function.role,
      this.secretAccess,
    );
  }
}

/** Hash of the role's SQL and the bootstrap logic: changes when what the bootstrap does changes. */
function roleLogicVersion(): string {
  const hash = createHash('sha256');
  for (const source of ROLE_LOGIC_SOURCES) {
    // Line endings normalised: a checkout on Windows must not re-run it.
    hash.update(readFileSync(path.join(LAMBDA_ROOT, source), 'utf8').replace(/\r\n/g, '\n'));
  }
  return hash.digest('hex').slice(0, 16);
}

function validate(scope: Construct, props: VerifierRoleBootstrapProps): void {
  const names: [string, string][] = [
    ['roleName', props.roleName],
    ['databaseName', props.databaseName],
    ...(props.dumpRoleName ? [['dumpRoleName', props.dumpRoleName] as [string, string]] : []),
    ...(props.replayControlRole === undefined
      ? []
      : [['replayControlRole', props.replayControlRole] as [string, string]]),
    ...(props.schemas ?? []).map((schema, i): [string, string] => [`schemas[${i}]`, schema]),
  ];
  for (const [field, value] of names) {
    if (!Token.isUnresolved(value) && !POSTGRES_NAME.test(value)) {
      throw new Error(
        `${scope.node.path}: ${field} must be a lowercase PostgreSQL name (${POSTGRES_NAME.source}), but got "${value}"`,
      );
    }
  }
  const isolated = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnets;
  const withoutRoutes = isolated.filter((subnet) => !subnet.routeTable?.routeTableId);
  if (withoutRoutes.length > 0) {
    throw new Error(
      `${scope.node.path}: the S3 gateway endpoint needs the route tables of the isolated subnets, but none is known ` +
        `for ${withoutRoutes.map((subnet) => subnet.subnetId).join(', ')}; import the VPC with isolatedSubnetRouteTableIds`,
    );
  }
}
