import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
} from '@aws-sdk/client-sfn';
import { describeError, type FailureKind, failureKind } from './aws-errors.js';
import {
  type CliDeps,
  type Environment,
  type ExecutionArn,
  expectedTarget,
  ObservationError,
  parseExecutionArn,
  stateMachineName,
  UsageError,
  type WorkflowKind,
  workflowsOf,
} from './context.js';

const HINTS: Record<Exclude<FailureKind, 'request'>, (env: Environment) => string> = {
  credentials: (env) =>
    `use credentials for account ${env.config.account} (e.g. aws sso login${env.profile ? ` --profile ${env.profile}` : ''}, ` +
    'or pass --profile)',
  network: () => 'check the network (and AWS_ENDPOINT_URL if set), then retry',
  throttling: () => 'AWS is throttling these calls; retry in a minute',
};

/**
 * Runs one AWS call. A failure to observe (credentials, network, throttling) becomes an ObservationError naming the
 * environment, account and region expected (exit 3, with `reattach` when an execution may still be running); an
 * error about the request itself (not found, invalid) is rethrown as it is (exit 1).
 */
export async function observe<T>(
  env: Environment,
  what: string,
  call: () => Promise<T>,
  reattach?: string,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const kind = failureKind(error);
    if (kind === 'request') throw error;
    throw new ObservationError(
      `Could not ${what} for ${expectedTarget(env)}: ${describeError(error)}\n  (${kind}: ${HINTS[kind](env)})`,
      reattach,
    );
  }
}

/** The command that follows an execution again: what to run after Ctrl-C or a lost connection. */
export function reattachCommand(env: Environment, execution: ExecutionArn): string {
  const profile = env.profile ? ` --profile ${env.profile}` : '';
  const region = env.region !== env.config.primaryRegion ? ` --region ${env.region}` : '';
  return `npx authdb-dr watch --env ${env.name}${profile}${region} ${execution.name}`;
}

export function executionArnOf(env: Environment, kind: WorkflowKind, name: string): ExecutionArn {
  const stateMachine = stateMachineName(env.name, kind);
  return parseExecutionArn(
    env,
    `arn:${env.partition}:states:${env.region}:${env.config.account}:execution:${stateMachine}:${name}`,
  );
}

function notFound(error: unknown): boolean {
  return error instanceof ExecutionDoesNotExist || (error as Error | undefined)?.name === 'ExecutionDoesNotExist';
}

export function describeExecution(
  deps: CliDeps,
  env: Environment,
  execution: ExecutionArn,
): Promise<DescribeExecutionCommandOutput> {
  return observe(env, `describe execution ${execution.name}`, () =>
    deps.sfn(env.region).send(new DescribeExecutionCommand({ executionArn: execution.arn })),
  );
}

/**
 * An execution from its ARN (checked offline against the environment) or its name (looked up in the restore, then
 * the drill state machine). An unknown name is bad input (exit 2).
 */
export async function findExecution(deps: CliDeps, env: Environment, text: string): Promise<ExecutionArn> {
  if (text.startsWith('arn:')) return parseExecutionArn(env, text);
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(text)) {
    throw new UsageError(
      `execution = ${JSON.stringify(text)}; allowed: an execution name (1 to 80 letters, digits, - and _) or ARN`,
    );
  }
  const kinds: WorkflowKind[] = [
    'restore',
    'drill',
    ...workflowsOf(env).filter((k) => k === 'rewind' || k === 'failover' || k === 'dr-region-drill'),
  ];
  for (const kind of kinds) {
    const execution = executionArnOf(env, kind, text);
    try {
      await describeExecution(deps, env, execution);
      return execution;
    } catch (error) {
      if (!notFound(error)) throw error;
    }
  }
  throw new UsageError(
    `execution = ${JSON.stringify(text)}; allowed: the name of an execution of ` +
      `${kinds.map((kind) => stateMachineName(env.name, kind)).join(' or ')} in ${env.region} ` +
      `(list them with: npx authdb-dr executions --env ${env.name})`,
  );
}

/** An execution of `kind`'s state machine, by name or ARN (a name is not looked up). */
export async function executionOfKind(
  deps: CliDeps,
  env: Environment,
  kind: WorkflowKind,
  text: string,
): Promise<ExecutionArn> {
  if (text.startsWith('arn:')) return findExecution(deps, env, text);
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(text)) {
    throw new UsageError(`execution = ${JSON.stringify(text)}; allowed: a ${kind} execution name or ARN`);
  }
  return executionArnOf(env, kind, text);
}
