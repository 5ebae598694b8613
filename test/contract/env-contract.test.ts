import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FUNCTION_ENVIRONMENTS, type FunctionEntry } from '../../contract/env.js';
import type { LambdaFunctionProps } from '../../lib/constructs/lambda-function.js';
import { environmentStacks } from '../support/app.js';

// Every function the app builds, with the folder its code comes from: recorded where the code is chosen (the
// `entry` prop of LambdaFunction), independently of how lib/ writes the environment.
const built = vi.hoisted(() => [] as Array<{ entry: string; fn: lambda.Function }>);
vi.mock('../../lib/constructs/lambda-function.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/constructs/lambda-function.js')>();
  class RecordedLambdaFunction extends original.LambdaFunction {
    constructor(
      scope: ConstructorParameters<typeof original.LambdaFunction>[0],
      id: string,
      props: LambdaFunctionProps,
    ) {
      super(scope, id, props);
      built.push({ entry: props.entry, fn: this.function });
    }
  }
  return { ...original, LambdaFunction: RecordedLambdaFunction };
});

/** Set by LambdaFunction for every function (source maps), not read by any handler. */
const RUNTIME_OPTIONS = ['NODE_OPTIONS'];

interface Deployed {
  entry: string;
  where: string;
  variables: Record<string, unknown>;
}

function deployedFunctions(envName: string): Deployed[] {
  built.length = 0;
  const { app: _app, ...stacks } = environmentStacks(envName);
  const templates = new Map<Stack, Template>();
  const templateOf = (stack: Stack) => {
    const template = templates.get(stack) ?? Template.fromStack(stack);
    templates.set(stack, template);
    return template;
  };
  expect(Object.keys(stacks).length).toBeGreaterThan(0);
  return built.map(({ entry, fn }) => {
    const stack = Stack.of(fn);
    const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    const resource = templateOf(stack).toJSON().Resources[logicalId];
    const variables: Record<string, unknown> = resource.Properties.Environment?.Variables ?? {};
    return { entry, where: `${stack.stackName}/${logicalId} (lambda/${entry})`, variables };
  });
}

function isEntry(entry: string): entry is FunctionEntry {
  return Object.hasOwn(FUNCTION_ENVIRONMENTS, entry);
}

/** Problems of one function: keys its contract does not know, required keys missing, literal values it refuses. */
function problemsOf(d: Deployed): string[] {
  if (!isEntry(d.entry)) return [`${d.where}: no environment schema in contract/env.ts`];
  const shape = FUNCTION_ENVIRONMENTS[d.entry].shape as Record<
    string,
    { isOptional(): boolean; safeParse(v: unknown): { success: boolean } }
  >;
  const keys = Object.keys(d.variables).filter((k) => !RUNTIME_OPTIONS.includes(k));
  const problems = keys
    .filter((k) => !(k in shape))
    .map((k) => `${d.where}: sets ${k}, which its contract does not have`);
  for (const [key, schema] of Object.entries(shape)) {
    const value = d.variables[key];
    if (value === undefined) {
      if (!schema.isOptional()) problems.push(`${d.where}: does not set ${key}, which its handler requires`);
    } else if (typeof value === 'string' && !Token.isUnresolved(value) && !schema.safeParse(value).success) {
      problems.push(`${d.where}: ${key} = ${JSON.stringify(value)} is refused by its handler's parse`);
    }
  }
  return problems;
}

// prod builds every workflow (each contract schema is checked against a function); dev leaves some out.
describe.each([
  { envName: 'prod', without: [] },
  { envName: 'dev', without: ['rewind-control', 'rewind-replay', 'rewind-report', 'restore-approval'] },
])('Lambda environments of $envName match the contract', ({ envName, without }) => {
  let deployed: Deployed[];
  beforeAll(() => {
    deployed = deployedFunctions(envName);
  });

  it('finds the function of every contract schema the environment uses (the recording works)', () => {
    const expected = Object.keys(FUNCTION_ENVIRONMENTS).filter((e) => !without.includes(e));
    expect(new Set(deployed.map((d) => d.entry))).toEqual(new Set(expected));
  });

  it('every function sets exactly the keys of its contract schema, each value one its handler parses', () => {
    expect(deployed.flatMap(problemsOf)).toEqual([]);
  });
});

describe('each handler parses its environment with its own contract schema', () => {
  const LAMBDA = path.join(__dirname, '..', '..', 'lambda');
  // A handler with nothing it needs (only the optional ENVIRONMENT every workflow function gets) has nothing to parse.
  const reading = (Object.keys(FUNCTION_ENVIRONMENTS) as FunctionEntry[]).filter((entry) =>
    Object.values(FUNCTION_ENVIRONMENTS[entry].shape as Record<string, { isOptional(): boolean }>).some(
      (s) => !s.isOptional(),
    ),
  );

  it.each(reading)('lambda/%s', (entry) => {
    const source = readFileSync(path.join(LAMBDA, entry, 'handler.ts'), 'utf8');
    expect(source).toMatch(new RegExp(`functionEnvironment\\('${entry}'[,)]`));
  });

  it('no raw process.env reads in lambda/ outside lambda/shared/env.ts', () => {
    const offenders: string[] = [];
    for (const file of readdirTs(LAMBDA)) {
      if (file.endsWith(path.join('shared', 'env.ts'))) continue;
      if (/process\.env/.test(readFileSync(file, 'utf8'))) offenders.push(path.relative(LAMBDA, file));
    }
    expect(offenders).toEqual([]);
  });
});

function readdirTs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}
