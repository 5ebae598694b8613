import { describeIssues } from '../../contract/errors.js';
import { ENVIRONMENTS } from './environments.js';
import { type EnvironmentConfig, type EnvironmentInput, environmentSchema } from './schema.js';

/** A configuration error: names the environment and every field at fault, with its value and what is allowed. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates one environment's raw settings; throws a ConfigError naming the environment and fields. */
export function validateEnvironment(name: string, input: EnvironmentInput | unknown): EnvironmentConfig {
  const result = environmentSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = describeIssues(input, result.error.issues).map((line) => `  - ${line}`);
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
