import type { z } from 'zod';
import { cut, describeIssues } from '../../contract/errors.js';

/** Reads a required environment variable once, failing at module load with the variable's name. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing environment variable ${name}`);
  }
  return value;
}

export function requireIntEnv(name: string, env: NodeJS.ProcessEnv = process.env): number {
  const text = requireEnv(name, env);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new Error(`Environment variable ${name} must be a whole number, got "${text}"`);
  }
  return value;
}

/** `true` or `false` exactly: anything else (TRUE, 1, yes) fails rather than silently meaning false. */
export function requireBooleanEnv(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const text = requireEnv(name, env);
  if (text !== 'true' && text !== 'false') {
    throw new Error(`Environment variable ${name} must be true or false, got "${cut(text)}"`);
  }
  return text === 'true';
}

/** A number (hours, seconds…, fractions allowed): a bad value fails the cold start instead of becoming NaN. */
export function requireNumberEnv(name: string, min = 0, env: NodeJS.ProcessEnv = process.env): number {
  const text = requireEnv(name, env);
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) {
    throw new Error(`Environment variable ${name} must be a number >= ${min}, got "${cut(text)}"`);
  }
  return value;
}

/**
 * A JSON environment variable parsed with `schema`: a bad value fails the cold start naming the variable and what is
 * wrong, instead of surfacing later as an undefined field in the middle of a drill.
 */
export function requireJsonEnv<S extends z.ZodType>(
  name: string,
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<S> {
  const text = requireEnv(name, env);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`Environment variable ${name} must be JSON, got ${cut(text)}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new Error(`Invalid environment variable ${name}: ${describeIssues(value, parsed.error.issues).join('; ')}`);
  }
  return parsed.data;
}
