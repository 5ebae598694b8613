import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { watchExecution } from './commands/watch.js';
import {
  type CliDeps,
  checkExecutionName,
  type Environment,
  EXIT,
  type ExitCode,
  parseExecutionArn,
  print,
  type WorkflowKind,
} from './context.js';
import type { StartFlags } from './options.js';

/**
 * Starts `kind`'s state machine with an already validated input, or with `--dry-run` only prints what it would
 * start (no AWS call). Prints the execution ARN on stdout, alone, so scripts can capture it.
 */
export async function startWorkflow(
  deps: CliDeps,
  env: Environment,
  kind: WorkflowKind,
  input: unknown,
  flags: StartFlags,
): Promise<ExitCode> {
  const stateMachineArn = env.stateMachineArn(kind);
  const name = checkExecutionName(flags.name);
  if (flags.dryRun) {
    print(deps, JSON.stringify({ stateMachineArn, ...(name ? { name } : {}), input }, null, 2));
    deps.err('Dry run: input is valid; no execution started.\n');
    return EXIT.ok;
  }
  const client = deps.sfn(env.config.primaryRegion);
  const started = await client.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
  const executionArn = started.executionArn!;
  print(deps, executionArn);
  if (!flags.watch) {
    deps.err(`Follow it with: npx authdb-dr watch --env ${env.name} ${executionArn}\n`);
    return EXIT.ok;
  }
  return watchExecution(deps, env, parseExecutionArn(env, executionArn), flags.interval);
}
