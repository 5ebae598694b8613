import type { BackupClient } from '@aws-sdk/client-backup';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { z } from 'zod';
import { describeIssues } from '../contract/errors.js';
import { stateMachineName as workflowName } from '../contract/names.js';
import type { EnvironmentConfig } from '../lib/config/schema.js';

/**
 * Exit codes: 0 success, 1 the workflow failed (or AWS refused the request), 2 bad flags or bad input, 3 the CLI
 * could not observe (credentials, network, throttling) while the execution may still run.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unobserved: 3 } as const;
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
  /** RDS and AWS Backup clients for a region (look-ups and dry-run checks); optional for tests of other commands. */
  rds?: (region: string) => RDSClient;
  backup?: (region: string) => BackupClient;
  /** CloudWatch for a region (the readiness table); optional for tests of other commands. */
  cloudwatch?: (region: string) => CloudWatchClient;
  /** The global flags (--profile, --region, --output), filled in before a command runs. */
  settings?: GlobalSettings;
  /** Runs `handler` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt?: (handler: () => void) => () => void;
}

export interface GlobalSettings {
  profile?: string;
  region?: string;
  output: 'text' | 'json';
}

export function settingsOf(deps: CliDeps): GlobalSettings {
  return deps.settings ?? { output: 'text' };
}

/**
 * The CLI could not observe AWS (credentials, network, throttling): exit 3, with the command that re-attaches when
 * an execution may still be running.
 */
export class ObservationError extends Error {
  constructor(
    message: string,
    readonly reattach?: string,
  ) {
    super(message);
    this.name = 'ObservationError';
  }
}

/** Bad flags or bad input: the message goes to stderr and the CLI exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type WorkflowKind = 'drill' | 'restore' | 'rewind' | 'failover' | 'dr-region-drill';

/** The workflows `executions --workflow` accepts. */
export const LISTED_WORKFLOWS: readonly WorkflowKind[] = ['drill', 'restore', 'failover'];

/**
 * The environment's workflows: the rewind exists only where a delayed replica does, the failover and the DR-region
 * drill only in the DR region (their stacks live there), the DR-region drill only where drRegionDrill.enabled.
 */
export function workflowsOf(env: { config: EnvironmentConfig; region?: string }): WorkflowKind[] {
  const kinds: WorkflowKind[] = env.config.delayedReplica.enabled
    ? ['drill', 'restore', 'rewind']
    : ['drill', 'restore'];
  if (env.region !== env.config.drRegion) return kinds;
  return env.config.drRegionDrill.enabled ? [...kinds, 'failover', 'dr-region-drill'] : [...kinds, 'failover'];
}

export interface Environment {
  name: string;
  config: EnvironmentConfig;
  /** The region the CLI talks to: the primary region, or the DR region with `--region`. */
  region: string;
  partition: string;
  /** The environment's database, `authdb-<env>` (the only source a restore or drill accepts). */
  sourceInstanceId: string;
  /** `--profile`, when given: named in credential errors. */
  profile?: string;
  /** `arn:aws:states:<region>:<account>:stateMachine:authdb-dr-<env>-<kind>`. */
  stateMachineArn: (kind: WorkflowKind) => string;
}

export function stateMachineName(env: string, kind: WorkflowKind): string {
  return workflowName(env, kind);
}

export function resolveEnvironment(deps: CliDeps, name: string): Environment {
  const known = deps.environments();
  if (!known.includes(name)) {
    throw new UsageError(`Unknown environment "${name}"; allowed: ${known.join(', ')}`);
  }
  const config = deps.config(name);
  const settings = settingsOf(deps);
  const region = settings.region ?? config.primaryRegion;
  if (region !== config.primaryRegion && region !== config.drRegion) {
    throw new UsageError(
      `--region = ${JSON.stringify(region)}; allowed: ${config.primaryRegion} (primary) or ${config.drRegion} (DR) ` +
        `for environment ${name}`,
    );
  }
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.includes('-gov-') ? 'aws-us-gov' : 'aws';
  return {
    name,
    config,
    region,
    partition,
    sourceInstanceId: `authdb-${name}`,
    ...(settings.profile ? { profile: settings.profile } : {}),
    stateMachineArn: (kind) =>
      `arn:${partition}:states:${region}:${config.account}:stateMachine:${stateMachineName(name, kind)}`,
  };
}

/** `environment prod (account 333333333333, region ap-northeast-2, profile ops)`: what credentials must reach. */
export function expectedTarget(env: Environment): string {
  const profile = env.profile ? `, profile ${env.profile}` : '';
  return `environment ${env.name} (account ${env.config.account}, region ${env.region}${profile})`;
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

/** Parses an execution ARN and checks it is one of the environment's state machines. */
export function parseExecutionArn(env: Environment, arn: string): ExecutionArn {
  const match = EXECUTION_ARN.exec(arn);
  if (!match) {
    throw new UsageError(
      `execution = ${JSON.stringify(arn)}; allowed: an execution ARN such as ` +
        `arn:aws:states:${env.config.primaryRegion}:${env.config.account}:execution:${stateMachineName(env.name, 'drill')}:NAME`,
    );
  }
  const [, region, account, stateMachine, name] = match;
  const ours = workflowsOf(env).map((kind) => stateMachineName(env.name, kind));
  if (region !== env.region || account !== env.config.account || !ours.includes(stateMachine)) {
    throw new UsageError(
      `execution = ${JSON.stringify(arn)}; allowed: an execution of ${ours.join(' or ')} in ` +
        `${env.region}, account ${env.config.account} (environment ${env.name})`,
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
