import type { z } from 'zod';
import {
  FUNCTION_ENVIRONMENTS,
  type FunctionEntry,
  type FunctionEnvironment,
  parseEnvironment,
} from '../../contract/env.js';

/**
 * The environment of the function in `lambda/<entry>/`, parsed once at cold start with its contract schema (plus
 * `runtime`: variables the Lambda runtime or a test sets, not lib/), failing with every bad variable named.
 */
export function functionEnvironment<E extends FunctionEntry, R extends z.ZodRawShape = Record<never, never>>(
  entry: E,
  runtime?: R,
  env: NodeJS.ProcessEnv = process.env,
): FunctionEnvironment<E> & z.output<z.ZodObject<R>> {
  const schema: z.ZodObject = FUNCTION_ENVIRONMENTS[entry];
  // The parse result of the entry's own schema (TypeScript cannot follow the entry through the union of schemas).
  return parseEnvironment(runtime ? schema.safeExtend(runtime) : schema, env) as FunctionEnvironment<E> &
    z.output<z.ZodObject<R>>;
}
