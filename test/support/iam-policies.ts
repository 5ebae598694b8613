import type { Template } from 'aws-cdk-lib/assertions';

/** An IAM statement after every intrinsic has been resolved. */
export interface ResolvedStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface ResolvedPolicy {
  name: string;
  policy: { Version?: string; Statement: ResolvedStatement[] };
}

export interface RolePolicies {
  logicalId: string;
  /** A plausible ARN of the role (its logical id as name). */
  arn: string;
  policies: ResolvedPolicy[];
}

export interface Where {
  account: string;
  region: string;
  /** @default 'aws' */
  partition?: string;
}

/**
 * The AWS managed policies a role here may carry, as published by AWS. Any other managed policy throws: leaving
 * it out would hide its grants.
 */
const AWS_MANAGED: Record<string, ResolvedPolicy['policy']> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' },
    ],
  },
  'service-role/AWSLambdaVPCAccessExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

/**
 * A template of another region (e.g. the DR-region stack): its region is needed to resolve what it exports through a
 * cross-region reference (`Custom::CrossRegionExportReader`).
 */
export interface RegionalTemplate {
  template: Template;
  region: string;
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/**
 * The identity policies of the one role of `template` whose logical id starts with `rolePrefix`: its inline and
 * managed policies and every `AWS::IAM::Policy`/`ManagedPolicy` attached to it, with intrinsics resolved to concrete
 * strings (`Fn::ImportValue` through the exports of `others`, e.g. the database stack; cross-region references
 * through the `Custom::CrossRegionExportWriter` of an `other` given with its region). Anything it cannot resolve
 * throws: a statement silently left out could turn a Deny into a pass.
 */
export function rolePolicies(
  template: Template,
  rolePrefix: string,
  where: Where,
  others: (Template | RegionalTemplate)[] = [],
): RolePolicies {
  const self = template.toJSON() as CfnTemplate;
  const regions = new Map<CfnTemplate, string>();
  const otherStacks = others.map((other) => {
    if (!('region' in other)) return other.toJSON() as CfnTemplate;
    const json = other.template.toJSON() as CfnTemplate;
    regions.set(json, other.region);
    return json;
  });
  const resolver = new Resolver(self, [self, ...otherStacks], where, regions);
  const resources = self.Resources ?? {};
  const ids = Object.keys(resources).filter(
    (id) => id.startsWith(rolePrefix) && resources[id]!.Type === 'AWS::IAM::Role',
  );
  if (ids.length !== 1) throw new Error(`expected one AWS::IAM::Role starting with ${rolePrefix}, found [${ids}]`);
  const logicalId = ids[0]!;
  const role = resources[logicalId]!.Properties ?? {};
  if (role.PermissionsBoundary !== undefined) throw new Error(`${logicalId}: permissions boundaries are not supported`);
  const roleName = role.RoleName === undefined ? logicalId : resolver.string(role.RoleName);

  const raw: { name: string; document: unknown }[] = [];
  for (const inline of (role.Policies ?? []) as { PolicyName: unknown; PolicyDocument: unknown }[]) {
    raw.push({ name: resolver.string(inline.PolicyName), document: inline.PolicyDocument });
  }
  for (const managed of (role.ManagedPolicyArns ?? []) as unknown[]) {
    const local = localRef(managed, resources, 'AWS::IAM::ManagedPolicy');
    if (local) {
      raw.push({ name: local, document: resources[local]!.Properties!.PolicyDocument });
      continue;
    }
    const arn = resolver.string(managed);
    const policy = AWS_MANAGED[arn.replace(/^arn:[^:]+:iam::aws:policy\//, '')];
    if (!arn.includes(':iam::aws:policy/') || !policy) throw new Error(`${logicalId}: unknown managed policy ${arn}`);
    raw.push({ name: arn, document: policy });
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (!['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy'].includes(resource.Type)) continue;
    const props = resource.Properties ?? {};
    const targets = resource.Type === 'AWS::IAM::RolePolicy' ? [props.RoleName] : ((props.Roles ?? []) as unknown[]);
    const attached = targets.some((target) => {
      const ref = localRef(target, resources, 'AWS::IAM::Role');
      if (ref) return ref === logicalId;
      return resolver.string(target) === roleName;
    });
    if (attached) raw.push({ name: id, document: props.PolicyDocument });
  }

  const partition = where.partition ?? 'aws';
  return {
    logicalId,
    arn: `arn:${partition}:iam::${where.account}:role/${roleName}`,
    policies: raw.map(({ name, document }) => {
      const policy = resolver.value(document) as ResolvedPolicy['policy'];
      if (!Array.isArray(policy?.Statement)) throw new Error(`${logicalId}/${name}: no Statement array`);
      return { name, policy };
    }),
  };
}

/** The logical id when `value` is `{ Ref: id }` of a resource of `type` in this template. */
function localRef(value: unknown, resources: Record<string, CfnResource>, type: string): string | undefined {
  const ref = (value as { Ref?: unknown } | null)?.Ref;
  return typeof ref === 'string' && resources[ref]?.Type === type ? ref : undefined;
}

class Resolver {
  constructor(
    private readonly stack: CfnTemplate,
    private readonly stacks: CfnTemplate[],
    private readonly where: Where,
    /** The region of each template of another region (cross-region references). */
    private readonly regions: Map<CfnTemplate, string> = new Map(),
  ) {}

  string(value: unknown): string {
    const resolved = this.value(value);
    if (typeof resolved !== 'string') throw new Error(`expected a string, got ${JSON.stringify(value)}`);
    return resolved;
  }

  value(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.value(v));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const intrinsic = entries.find(([k]) => k === 'Ref' || k.startsWith('Fn::'));
    if (!intrinsic) return Object.fromEntries(entries.map(([k, v]) => [k, this.value(v)]));
    if (entries.length !== 1) throw new Error(`malformed intrinsic ${JSON.stringify(value)}`);
    const [fn, arg] = intrinsic;
    switch (fn) {
      case 'Ref':
        return this.ref(this.string(arg));
      case 'Fn::GetAtt': {
        const [id, ...attr] = Array.isArray(arg) ? arg.map((a) => this.string(a)) : this.string(arg).split('.');
        return this.getAtt(id!, attr.join('.'));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [unknown, unknown];
        const list = this.value(parts);
        if (!Array.isArray(list)) throw new Error(`Fn::Join of a non-list ${JSON.stringify(parts)}`);
        return list.map((p) => this.string(p)).join(this.string(separator));
      }
      case 'Fn::Sub': {
        const [text, vars = {}] = (Array.isArray(arg) ? arg : [arg]) as [unknown, Record<string, unknown>?];
        return this.string(text).replace(/\$\{(!?)([^}]+)\}/g, (_, bang: string, name: string) => {
          if (bang) return `\${${name}}`;
          if (name in vars) return this.string(vars[name]);
          const [id, ...attr] = name.split('.');
          return attr.length ? this.string(this.getAtt(id!, attr.join('.'))) : this.string(this.ref(name));
        });
      }
      case 'Fn::ImportValue':
        return this.importValue(this.string(arg));
      default:
        throw new Error(`cannot resolve ${fn}: ${JSON.stringify(value)}`);
    }
  }

  private importValue(name: string): unknown {
    for (const stack of this.stacks) {
      for (const output of Object.values(stack.Outputs ?? {})) {
        if (
          output.Export &&
          new Resolver(stack, this.stacks, this.where, this.regions).value(output.Export.Name) === name
        ) {
          return new Resolver(stack, this.stacks, this.where, this.regions).value(output.Value);
        }
      }
    }
    throw new Error(`no template given exports ${name}`);
  }

  /**
   * A cross-region reference: the reader's attribute is the SSM parameter that the producer's
   * `Custom::CrossRegionExportWriter` writes, resolved in the producer's template and region.
   */
  private crossRegionImport(readerId: string, parameter: string): unknown {
    const imports = (this.resource(readerId).Properties?.ReaderProps as { imports?: Record<string, unknown> })?.imports;
    if (!imports || !(parameter in imports)) throw new Error(`${readerId} imports no ${parameter}`);
    for (const stack of this.stacks) {
      for (const resource of Object.values(stack.Resources ?? {})) {
        if (resource.Type !== 'Custom::CrossRegionExportWriter') continue;
        const exports = (resource.Properties?.WriterProps as { exports?: Record<string, unknown> })?.exports ?? {};
        if (!(parameter in exports)) continue;
        const region = this.regions.get(stack);
        if (region === undefined) throw new Error(`cross-region export ${parameter}: its template was given no region`);
        return new Resolver(stack, this.stacks, { ...this.where, region }, this.regions).value(exports[parameter]);
      }
    }
    throw new Error(`no template given writes the cross-region export ${parameter}`);
  }

  private get partition(): string {
    return this.where.partition ?? 'aws';
  }

  private arn(service: string, resource: string, region = this.where.region, account = this.where.account): string {
    return `arn:${this.partition}:${service}:${region}:${account}:${resource}`;
  }

  private resource(id: string): CfnResource & { name: (prop: string, fallback?: string) => string } {
    const resource = this.stack.Resources?.[id];
    if (!resource) throw new Error(`no resource ${id} in this template`);
    const props = resource.Properties ?? {};
    return {
      ...resource,
      name: (prop, fallback = id) => (props[prop] === undefined ? fallback : this.string(props[prop])),
    };
  }

  private ref(id: string): unknown {
    const pseudo: Record<string, string> = {
      'AWS::Partition': this.partition,
      'AWS::Region': this.where.region,
      'AWS::AccountId': this.where.account,
      'AWS::URLSuffix': 'amazonaws.com',
    };
    if (id in pseudo) return pseudo[id];
    const r = this.resource(id);
    switch (r.Type) {
      case 'AWS::RDS::DBInstance':
        // No invented name for a database: the guard is about the real one.
        if (r.Properties?.DBInstanceIdentifier === undefined) throw new Error(`${id}: no DBInstanceIdentifier`);
        return r.name('DBInstanceIdentifier');
      case 'AWS::RDS::DBSubnetGroup':
        return r.name('DBSubnetGroupName', id.toLowerCase());
      case 'AWS::RDS::DBParameterGroup':
        return r.name('DBParameterGroupName', id.toLowerCase());
      case 'AWS::S3::Bucket':
        return r.name('BucketName', id.toLowerCase());
      case 'AWS::Logs::LogGroup':
        return r.name('LogGroupName');
      case 'AWS::Lambda::Function':
        return r.name('FunctionName');
      case 'AWS::IAM::Role':
        return r.name('RoleName');
      case 'AWS::KMS::Key':
      case 'AWS::KMS::ReplicaKey':
      case 'AWS::EC2::VPCEndpoint':
        return id.toLowerCase();
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SecretsManager::Secret':
        return this.getAtt(id, 'Arn');
      case 'AWS::ECS::TaskDefinition':
        // Ref is the ARN with the revision.
        return this.arn('ecs', `task-definition/${r.name('Family', id.toLowerCase())}:1`);
      case 'AWS::ECS::Cluster':
        return r.name('ClusterName', id.toLowerCase());
      default:
        throw new Error(`cannot resolve Ref of ${id} (${r.Type})`);
    }
  }

  private getAtt(id: string, attr: string): unknown {
    const r = this.resource(id);
    const fail = () => new Error(`cannot resolve Fn::GetAtt ${id}.${attr} (${r.Type})`);
    if (r.Type === 'Custom::CrossRegionExportReader') return this.crossRegionImport(id, attr);
    if (r.Type === 'AWS::RDS::DBInstance' && attr === 'MasterUserSecret.SecretArn') {
      // RDS names the secret it manages rds!db-<resource id>; the instance identifier stands in for that id.
      return this.arn('secretsmanager', `secret:rds!db-${this.string(this.ref(id))}-AbCdEf`);
    }
    if (r.Type === 'AWS::EC2::VPC' && attr === 'DefaultSecurityGroup') return `sg-${id.toLowerCase()}`;
    if (r.Type === 'AWS::Backup::BackupVault' && attr === 'BackupVaultArn') {
      return this.arn('backup', `backup-vault:${r.name('BackupVaultName')}`);
    }
    if (r.Type === 'AWS::RDS::DBInstance' && attr === 'DbiResourceId') {
      // RDS assigns db-<26 characters>; the identifier stands in for it, so grants stay per instance.
      return `db-${this.string(this.ref(id))}`;
    }
    if (attr !== 'Arn' && !(r.Type === 'AWS::SNS::Topic' && attr === 'TopicArn')) throw fail();
    switch (r.Type) {
      case 'AWS::Logs::LogGroup':
        return this.arn('logs', `log-group:${r.name('LogGroupName')}:*`);
      case 'AWS::SQS::Queue':
        return this.arn('sqs', r.name('QueueName'));
      case 'AWS::SNS::Topic':
        return this.arn('sns', r.name('TopicName'));
      case 'AWS::S3::Bucket':
        return `arn:${this.partition}:s3:::${this.ref(id)}`;
      case 'AWS::KMS::Key':
      case 'AWS::KMS::ReplicaKey':
        return this.arn('kms', `key/${this.ref(id)}`);
      case 'AWS::Lambda::Function':
        return this.arn('lambda', `function:${this.ref(id)}`);
      case 'AWS::StepFunctions::StateMachine':
        return this.arn('states', `stateMachine:${r.name('StateMachineName')}`);
      case 'AWS::SecretsManager::Secret':
        return this.arn('secretsmanager', `secret:${r.name('Name')}-AbCdEf`);
      case 'AWS::IAM::Role':
        return `arn:${this.partition}:iam::${this.where.account}:role/${this.ref(id)}`;
      case 'AWS::Events::Rule':
        return this.arn('events', `rule/${r.name('Name')}`);
      default:
        throw fail();
    }
  }
}

/**
 * A property of one resource of `template` (e.g. a key's `KeyPolicy`, a vault's `AccessPolicy`) with every intrinsic
 * resolved as `rolePolicies` resolves them; throws on what it cannot resolve.
 */
export function resolvedProperty(
  template: Template,
  logicalId: string,
  property: string,
  where: Where,
  others: (Template | RegionalTemplate)[] = [],
): unknown {
  const self = template.toJSON() as CfnTemplate;
  const regions = new Map<CfnTemplate, string>();
  const otherStacks = others.map((other) => {
    if (!('region' in other)) return other.toJSON() as CfnTemplate;
    const json = other.template.toJSON() as CfnTemplate;
    regions.set(json, other.region);
    return json;
  });
  const resource = self.Resources?.[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId} in this template`);
  const value = resource.Properties?.[property];
  if (value === undefined) throw new Error(`${logicalId} has no ${property}`);
  return new Resolver(self, [self, ...otherStacks], where, regions).value(value);
}

/** A principal that is not one of the template's roles: an administrator, the deployment role, the root user. */
export function principalWith(arn: string, statements: ResolvedStatement[] = []): RolePolicies {
  return {
    logicalId: arn.split(':').slice(5).join(':'),
    arn,
    policies: statements.length ? [{ name: 'inline', policy: { Version: '2012-10-17', Statement: statements } }] : [],
  };
}

/** What AdministratorAccess grants (and the CDK bootstrap's CloudFormation execution role carries by default). */
export const ADMINISTRATOR_ACCESS: ResolvedStatement[] = [{ Effect: 'Allow', Action: '*', Resource: '*' }];
