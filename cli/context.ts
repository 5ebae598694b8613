import type { SFNClient } from '@aws-sdk/client-sfn';
import type { z } from 'zod';
import { describeIssues } from '../lambda/shared/errors.js';
import type { EnvironmentConfig } from '../lib/config/schema.js';

/** Exit codes: 0 success, 1 failed (the execution, or an AWS call), 2 bad flags or bad input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Everything the CLI touches outside itself, injectable for tests. */
export interface CliDeps {
  /** A Step Functions client for a region (credentials from the standard chain). */
  sfn: (region: string) => SFNClient;
  /** Write to stdout / stderr (raw text: callers add the newlines). */
  out: (text: string) => void;
  err: (text: string) => void;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** stdout is a terminal: `watch` redraws in place instead of printing changes line by line. */
  tty: boolean;
  /** Environment names `--env` accepts, and the validated configuration of one. */
  environments: () => string[];
  config: (name: string) => EnvironmentConfig;
}

/** Bad flags or bad input: the message goes to stderr and the CLI exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type WorkflowKind = 'drill' | 'restore';

export interface Environment {
  name: string;
  config: EnvironmentConfig;
  /** `arn:aws:states:<primaryRegion>:<account>:stateMachine:authdb-dr-<env>-<kind>`. */
  stateMachineArn: (kind: WorkflowKind) => string;
}

export function stateMachineName(env: string, kind: WorkflowKind): string {
  return `authdb-dr-${env}-${kind}`;
}

export function resolveEnvironment(deps: CliDeps, name: string): Environment {
  const known = deps.environments();
  if (!known.includes(name)) {
    throw new UsageError(`Unknown environment "${name}"; allowed: ${known.join(', ')}`);
  }
  const config = deps.config(name);
  const partition = config.primaryRegion.startsWith('cn-')
    ? 'aws-cn'
    : config.primaryRegion.includes('-gov-')
      ? 'aws-us-gov'
      : 'aws';
  return {
    name,
    config,
    stateMachineArn: (kind) =>
      `arn:${partition}:states:${config.primaryRegion}:${config.account}:stateMachine:${stateMachineName(name, kind)}`,
  };
}

export interface ExecutionArn {
  arn: string;
  region: string;
  account: string;
  stateMachine: string;
  name: string;
}

const EXECUTION_ARN =
  /^arn:aws[a-z-]*:states:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):([^:\s]{1,80})$/;

/** Parses an execution ARN and checks it is one of the environment's two state machines. */
export function parseExecutionArn(env: Environment, arn: string): ExecutionArn {
  const match = EXECUTION_ARN.exec(arn);
  if (!match) {
    throw new UsageError(
      `execution = ${JSON.stringify(arn)}; allowed: an execution ARN such as ` +
        `arn:aws:states:${env.config.primaryRegion}:${env.config.account}:execution:${stateMachineName(env.name, 'drill')}:NAME`,
    );
  }
  const [, region, account, stateMachine, name] = match as unknown as [string, string, string, string, string];
  const ours = [stateMachineName(env.name, 'drill'), stateMachineName(env.name, 'restore')];
  if (region !== env.config.primaryRegion || account !== env.config.account || !ours.includes(stateMachine)) {
    throw new UsageError(
      `execution = ${JSON.stringify(arn)}; allowed: an execution of ${ours.join(' or ')} in ` +
        `${env.config.primaryRegion}, account ${env.config.account} (environment ${env.name})`,
    );
  }
  return { arn, region, account, stateMachine, name };
}

/** Step Functions execution names: 1-80 characters, letters, digits, `-` and `_`. */
export function checkExecutionName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw new UsageError(`name = ${JSON.stringify(name)}; allowed: 1 to 80 letters, digits, - and _`);
  }
  return name;
}

/**
 * One UsageError listing every problem, `field = value; allowed: ...` (the same lines as the state machine's
 * InvalidInput), each with the flag that sets the field.
 */
export function invalidInput(
  what: string,
  input: unknown,
  issues: readonly z.core.$ZodIssue[],
  flags: Record<string, string>,
  extra: string[] = [],
): UsageError {
  const lines = describeIssues(input, issues).map((line, i) => {
    const field = String(issues[i]?.path[0] ?? '');
    return flags[field] ? `${line} [${flags[field]}]` : line;
  });
  return new UsageError(`Invalid ${what}:\n${[...lines, ...extra].map((line) => `  - ${line}`).join('\n')}`);
}

/** One line on stdout. */
export function print(deps: CliDeps, text = ''): void {
  deps.out(`${text}\n`);
}
