import type { z } from 'zod';
import { ENVIRONMENTS } from './environments.js';
import { type EnvironmentConfig, type EnvironmentInput, environmentSchema } from './schema.js';

/** A configuration error: names the environment and every field at fault, with its value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeIssue(input: unknown, issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    return `${[...issue.path, ...issue.keys].join(', ')}: unknown field(s); allowed: only the documented fields`;
  }
  const value = valueAt(input, issue.path);
  const shown = value === undefined ? 'missing' : JSON.stringify(value);
  const allowed = issue.message.startsWith('allowed:') ? issue.message : `allowed: ${issue.message}`;
  return `${field} = ${shown}; ${allowed}`;
}

/** Validates one environment's raw settings; throws a ConfigError naming the environment and fields. */
export function validateEnvironment(name: string, input: EnvironmentInput | unknown): EnvironmentConfig {
  const result = environmentSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${describeIssue(input, issue)}`);
  throw new ConfigError(`Invalid configuration for environment "${name}":\n${lines.join('\n')}`);
}

export function knownEnvironments(): string[] {
  return Object.keys(ENVIRONMENTS);
}

/** The validated configuration of one environment, by name (the `-c env=NAME` value). */
export function loadConfig(name: string, environments: Record<string, unknown> = ENVIRONMENTS): EnvironmentConfig {
  const input = environments[name];
  if (input === undefined) {
    throw new ConfigError(
      `Unknown environment "${name}"; allowed: ${Object.keys(environments).join(', ')} (pass -c env=NAME)`,
    );
  }
  return validateEnvironment(name, input);
}
