import { Token, Tokenization } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { FUNCTION_ENVIRONMENTS, type FunctionEntry, type FunctionEnvironment } from '../../contract/env.js';

/** A value as lib/ gives it: what the handler's parse returns (lists may be read-only). */
type Written<T> = T extends readonly (infer U)[] ? readonly U[] : T;

/** The environment of the function in `lambda/<entry>/`, typed by its contract schema (contract/env.ts). */
export type EnvironmentValues<E extends FunctionEntry> = {
  [K in keyof FunctionEnvironment<E>]: Written<FunctionEnvironment<E>[K]>;
};

/** What a workflow function's caller gives: the function factory adds ENVIRONMENT itself. */
export type WorkflowEnvironmentValues<E extends FunctionEntry> = Omit<EnvironmentValues<E>, 'ENVIRONMENT'>;

/**
 * `values` as environment variables, written the one way the handler's parse accepts (numbers in decimal, `true` /
 * `false`, lists as JSON). A value known at synth time that the handler would refuse fails synth here, naming it.
 */
export function functionEnvironment<E extends FunctionEntry>(
  entry: E,
  values: EnvironmentValues<E>,
): Record<string, string> {
  return rendered(entry, values);
}

/** A workflow function's environment (see `functionEnvironment`); the factory adds ENVIRONMENT. */
export function workflowEnvironment<E extends FunctionEntry>(
  entry: E,
  values: WorkflowEnvironmentValues<E>,
): Record<string, string> {
  return rendered(entry, values);
}

/**
 * Part of a function's environment, where the rest is added elsewhere (`addFunctionEnvironment`): the contract test
 * (test/contract/env-contract.test.ts) checks the whole.
 */
export function environmentPart<E extends FunctionEntry>(
  entry: E,
  values: Partial<EnvironmentValues<E>>,
): Record<string, string> {
  return rendered(entry, values);
}

/** Adds variables to a function built elsewhere (e.g. names known only once another workflow exists). */
export function addFunctionEnvironment<E extends FunctionEntry>(
  fn: lambda.Function,
  entry: E,
  values: Partial<EnvironmentValues<E>>,
): void {
  for (const [name, value] of Object.entries(rendered(entry, values))) fn.addEnvironment(name, value);
}

function rendered(entry: FunctionEntry, values: object): Record<string, string> {
  const shape: Record<string, { safeParse(value: string): { success: boolean } }> = FUNCTION_ENVIRONMENTS[entry].shape;
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const text = written(value);
    const schema = shape[name];
    if (schema === undefined) throw new Error(`lambda/${entry} has no environment variable ${name} (contract/env.ts)`);
    if (!Token.isUnresolved(text) && !schema.safeParse(text).success) {
      throw new Error(`lambda/${entry}: environment variable ${name} = ${JSON.stringify(text)} is not what it parses`);
    }
    result[name] = text;
  }
  return result;
}

function written(value: unknown): string {
  if (typeof value === 'string') return value;
  // A number token (e.g. an endpoint port) stays a reference to the resolved number.
  if (typeof value === 'number') return Tokenization.stringifyNumber(value);
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** ENVIRONMENT, which the workflow function factory sets on every function it builds (each schema has it). */
export function workflowBaseEnvironment(entry: FunctionEntry, environment: string): Record<string, string> {
  return rendered(entry, { ENVIRONMENT: environment });
}
