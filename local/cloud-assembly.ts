import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { z } from 'zod';
import { ACCOUNT, definitionFrom, REGION } from '../test/support/state-machine.js';

/** What `npm run synth` wrote to cdk.out, read the way CloudFormation would, with local values for what AWS names. */

const resourceSchema = z
  .object({
    Type: z.string(),
    Properties: z.record(z.string(), z.unknown()).default({}),
    Metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
const templateSchema = z
  .object({
    Resources: z.record(z.string(), resourceSchema),
    Outputs: z
      .record(z.string(), z.object({ Value: z.unknown(), Export: z.object({ Name: z.string() }).optional() }).loose())
      .default({}),
  })
  .loose();
type TemplateJson = z.infer<typeof templateSchema>;
type Resource = z.infer<typeof resourceSchema>;

/** A reference to a resource of a stack: `Ref` (no attribute) or `Fn::GetAtt`. */
export interface ResourceRef {
  stack: string;
  logicalId: string;
  resource: Resource;
  attribute?: string;
}

/** Local values for references the stand-in must agree with (the database endpoint, for one). */
export type LocalValues = (ref: ResourceRef) => string | undefined;

export interface BundledFunction {
  logicalId: string;
  /** The bundle's entry file, from the function's asset metadata. */
  modulePath: string;
  exportName: string;
  timeoutSeconds: number;
  environment: Record<string, string>;
}

export interface DrillDefinition {
  stack: string;
  stateMachineName: string;
  definition: StateMachineDefinition;
  /** Task state name -> the function it invokes. */
  tasks: Record<string, BundledFunction>;
}

export class CloudAssembly {
  private readonly templates = new Map<string, TemplateJson>();

  constructor(
    readonly dir: string,
    private readonly local: LocalValues = () => undefined,
  ) {
    if (!existsSync(dir)) {
      throw new Error(`No synthesized app at ${dir}: run \`npm run synth\` first`);
    }
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json'))) {
      const parsed = templateSchema.safeParse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      if (parsed.success) this.templates.set(file.replace(/\.template\.json$/, ''), parsed.data);
    }
  }

  /** The one resource of `type` (and optional property match) across all stacks of the environment. */
  findResource(
    stackPrefix: string,
    type: string,
    where: (r: Resource) => boolean = () => true,
  ): { stack: string; logicalId: string; resource: Resource } {
    const found: { stack: string; logicalId: string; resource: Resource }[] = [];
    for (const [stack, template] of this.templates) {
      if (!stack.startsWith(stackPrefix)) continue;
      for (const [logicalId, resource] of Object.entries(template.Resources)) {
        if (resource.Type === type && where(resource)) found.push({ stack, logicalId, resource });
      }
    }
    if (found.length !== 1) {
      throw new Error(
        `Expected one ${type} in the ${stackPrefix}* stacks of ${this.dir}, found ${found.length}: was \`npm run synth\` run for this environment?`,
      );
    }
    return found[0]!;
  }

  /** A property value with its intrinsics resolved (Ref, Fn::GetAtt, Fn::ImportValue, Fn::Join). */
  resolve(stack: string, value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      if (fn === 'Ref') return this.ref(stack, String(arg));
      if (fn === 'Fn::GetAtt') {
        const [logicalId, attribute] = arg as [string, string];
        return this.ref(stack, logicalId, attribute);
      }
      if (fn === 'Fn::ImportValue') return this.importValue(String(this.resolve(stack, arg)));
      if (fn === 'Fn::Join') {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map((p) => String(this.resolve(stack, p))).join(separator);
      }
      if (fn.startsWith('Fn::')) throw new Error(`Cannot resolve ${fn} locally (in stack ${stack})`);
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stack, v)]));
  }

  /** The drill state machine of the environment and, per Task state, the bundled function it invokes. */
  drill(environment: string): DrillDefinition {
    const stateMachineName = `authdb-dr-${environment}-drill`;
    const { stack, logicalId } = this.findResource(
      `authdb-dr-${environment}-`,
      'AWS::StepFunctions::StateMachine',
      (r) => r.Properties.StateMachineName === stateMachineName,
    );
    const definition = definitionFrom(Template.fromJSON(this.templates.get(stack)!), logicalId);
    const tasks: Record<string, BundledFunction> = {};
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      // definitionFrom renders each function's Fn::GetAtt as arn:aws:lambda:REGION:ACCOUNT:function:<logical id>.
      const match = /:function:([A-Za-z0-9]+)$/.exec(String((state as { Resource?: unknown }).Resource));
      if (!match) throw new Error(`Task state ${name} of ${stateMachineName} does not invoke a Lambda function`);
      tasks[name] = this.bundledFunction(stack, match[1]!);
    }
    return { stack, stateMachineName, definition, tasks };
  }

  private bundledFunction(stack: string, logicalId: string): BundledFunction {
    const resource = this.templates.get(stack)!.Resources[logicalId];
    const assetPath = resource?.Metadata?.['aws:asset:path'];
    if (resource?.Type !== 'AWS::Lambda::Function' || typeof assetPath !== 'string') {
      throw new Error(`${logicalId} in ${stack} is not a Lambda function with a bundled asset`);
    }
    const [file, exportName] = String(resource.Properties.Handler).split('.');
    const modulePath = join(this.dir, assetPath, `${file}.js`);
    if (!existsSync(modulePath)) throw new Error(`The bundle of ${logicalId} is missing: ${modulePath}`);
    const variables = (resource.Properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {};
    const environment = z.record(z.string(), z.string()).parse(this.resolve(stack, variables));
    // Lambda mounts layers at /opt and resolves packages from /opt/nodejs/node_modules: the same, from cdk.out.
    const layerModules = this.layerModuleDirs(stack, resource.Properties.Layers);
    if (layerModules.length > 0) environment.NODE_PATH = layerModules.join(':');
    return {
      logicalId,
      modulePath,
      exportName: exportName!,
      timeoutSeconds: Number(resource.Properties.Timeout ?? 3),
      environment,
    };
  }

  private layerModuleDirs(stack: string, layers: unknown): string[] {
    const refs = z
      .array(z.object({ Ref: z.string() }))
      .default([])
      .parse(layers);
    return refs.map(({ Ref }) => {
      const layer = this.templates.get(stack)!.Resources[Ref];
      const assetPath = layer?.Metadata?.['aws:asset:path'];
      if (layer?.Type !== 'AWS::Lambda::LayerVersion' || typeof assetPath !== 'string') {
        throw new Error(`${Ref} in ${stack} is not a Lambda layer with a bundled asset`);
      }
      return join(this.dir, assetPath, 'nodejs', 'node_modules');
    });
  }

  private importValue(name: string): unknown {
    for (const [stack, template] of this.templates) {
      for (const output of Object.values(template.Outputs)) {
        if (output.Export?.Name === name) return this.resolve(stack, output.Value);
      }
    }
    throw new Error(`No stack in ${this.dir} exports ${name}`);
  }

  private ref(stack: string, logicalId: string, attribute?: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': 'aws',
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': stack,
    };
    if (attribute === undefined && logicalId in pseudo) return pseudo[logicalId]!;
    const resource = this.templates.get(stack)?.Resources[logicalId];
    if (!resource) throw new Error(`${stack} has no resource ${logicalId}`);
    const local = this.local({ stack, logicalId, resource, attribute });
    if (local !== undefined) return local;
    const props = resource.Properties;
    const name = (key: string) => (typeof props[key] === 'string' ? (props[key] as string) : logicalId.toLowerCase());
    if (attribute === undefined) {
      switch (resource.Type) {
        case 'AWS::RDS::DBInstance':
          return name('DBInstanceIdentifier');
        case 'AWS::S3::Bucket':
          return name('BucketName');
        case 'AWS::SNS::Topic':
          return `arn:aws:sns:${REGION}:${ACCOUNT}:${name('TopicName')}`;
        default:
          return logicalId.toLowerCase();
      }
    }
    if (attribute === 'Arn' && resource.Type === 'AWS::IAM::Role') {
      // IAM ARNs have no region; the bootstrap checks the shape of its reader role's ARN.
      return `arn:aws:iam::${ACCOUNT}:role/${name('RoleName')}`;
    }
    if (attribute === 'Arn') {
      return `arn:aws:${resource.Type.split('::')[1]!.toLowerCase()}:${REGION}:${ACCOUNT}:${logicalId.toLowerCase()}`;
    }
    return `local-${logicalId.toLowerCase()}-${attribute.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  }
}
