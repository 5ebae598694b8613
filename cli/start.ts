import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { observe, reattachCommand } from './aws.js';
import { watchExecution } from './commands/watch.js';
import {
  type CliDeps,
  checkExecutionName,
  type Environment,
  EXIT,
  type ExecutionArn,
  type ExitCode,
  LISTED_WORKFLOWS,
  parseExecutionArn,
  print,
  type WorkflowKind,
} from './context.js';
import type { StartFlags } from './options.js';
import { awsChecks, type Check, offlineChecks, requirePassed, type StartInput } from './preflight.js';

function checkLines(title: string, checks: readonly Check[]): string {
  return `${title}\n${checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.text}`).join('\n')}\n`;
}

/**
 * Starts `kind`'s state machine with an already validated input, after the checks against the environment's
 * configuration (another environment's source, snapshot or recovery point, a time outside the retention: exit 2).
 * With `--dry-run` it starts nothing: it also runs the read-only AWS checks (when credentials reach AWS), says
 * which checks ran, and prints what it would start. Prints the execution ARN on stdout, alone, for scripts.
 */
export async function startWorkflow(
  deps: CliDeps,
  env: Environment,
  kind: WorkflowKind,
  input: StartInput,
  flags: StartFlags,
): Promise<ExitCode> {
  const stateMachineArn = env.stateMachineArn(kind);
  const name = checkExecutionName(flags.name);
  const offline = offlineChecks(env, kind, input, deps.now());
  requirePassed(`${kind} input for environment ${env.name}`, offline);
  if (flags.dryRun) {
    const online = await awsChecks(deps, env, kind, input);
    requirePassed(`${kind} input for environment ${env.name} (checked in AWS)`, online.checks);
    let report = checkLines('Checks against the configuration of the environment (offline):', offline);
    report += online.skipped
      ? `Checks in AWS: not run (${online.skipped})\n`
      : checkLines('Checks in AWS (read-only calls):', online.checks);
    deps.err(report);
    print(deps, JSON.stringify({ stateMachineArn, ...(name ? { name } : {}), input }, null, 2));
    deps.err('Dry run: input is valid; no execution started.\n');
    return EXIT.ok;
  }
  const execution = await startExecution(deps, env, kind, input, name);
  return followOrHint(deps, env, execution, flags.watch === true, flags.interval);
}

/** Starts `kind`'s state machine and prints the execution ARN on stdout, alone, for scripts. */
export async function startExecution(
  deps: CliDeps,
  env: Environment,
  kind: WorkflowKind,
  input: unknown,
  name: string | undefined,
): Promise<ExecutionArn> {
  const stateMachineArn = env.stateMachineArn(kind);
  // `executions --workflow` lists only some kinds; for the others, all of the environment's executions.
  const workflow = LISTED_WORKFLOWS.includes(kind) ? ` --workflow ${kind}` : '';
  const started = await observe(
    env,
    `start ${stateMachineArn}`,
    () => deps.sfn(env.region).send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name })),
    // Without an answer the execution may or may not have started: look before starting another.
    `npx authdb-dr executions --env ${env.name}${workflow}`,
  );
  const execution = parseExecutionArn(env, started.executionArn!);
  print(deps, execution.arn);
  return execution;
}

/** Watches a started execution (`watch`), or says how to follow it. */
export function followOrHint(
  deps: CliDeps,
  env: Environment,
  execution: ExecutionArn,
  watch: boolean,
  intervalSeconds: number,
): Promise<ExitCode> {
  if (!watch) {
    deps.err(`Follow it with: ${reattachCommand(env, execution)}\n`);
    return Promise.resolve(EXIT.ok);
  }
  return watchExecution(deps, env, execution, intervalSeconds);
}
