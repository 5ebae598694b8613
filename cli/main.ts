import { SFNClient } from '@aws-sdk/client-sfn';
import { Command, CommanderError } from 'commander';
import { knownEnvironments, loadConfig } from '../lib/config/load.js';
import { registerDrill } from './commands/drill.js';
import { registerLogical } from './commands/logical.js';
import { registerRestore } from './commands/restore.js';
import { registerStatus } from './commands/status.js';
import { registerWatch } from './commands/watch.js';
import { type CliDeps, EXIT, type ExitCode, UsageError } from './context.js';

export type { CliDeps } from './context.js';

const USAGE = `
Usage of each command (add --help to any of them for details):
  authdb-dr drill start   --env ENV [--mode point-in-time|latest-snapshot|snapshot|recovery-point]
                          [--snapshot ID] [--recovery-point ARN] [--name NAME] [--dry-run] [--watch [--interval S]]
  authdb-dr restore start --env ENV --source ID (--time ISO|latest | --snapshot ID | --recovery-point ARN)
                          --target ID [--instance-class CLASS] [--cutover-confirm SOURCE_ID] [--name NAME]
                          [--dry-run] [--watch [--interval S]]
  authdb-dr status        --env ENV EXECUTION_ARN
  authdb-dr watch         --env ENV EXECUTION_ARN [--interval SECONDS]

Exit codes: 0 success (status: also still running), 1 execution failed or AWS error, 2 bad flags or input.`;

/** The outcome of one parse: what the action returned. */
export interface ProgramState {
  exitCode: ExitCode;
}

/**
 * The `authdb-dr` command tree. Commander never exits the process: errors surface from `parseAsync` and the
 * action's exit code lands in `state` (see `run`).
 */
export function buildProgram(deps: CliDeps, state: ProgramState = { exitCode: EXIT.ok }): Command {
  const program = new Command('authdb-dr')
    .description('Operate the authdb-dr DR drill and restore workflows (AWS Step Functions)')
    .addHelpText('after', USAGE)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => deps.out(text),
      writeErr: (text) => deps.err(text),
      outputError: (text, write) => write(text),
    })
    .showHelpAfterError('(add --help for usage)');
  const done = async (action: Promise<ExitCode>): Promise<void> => {
    state.exitCode = await action;
  };
  registerDrill(program, deps, done);
  registerRestore(program, deps, done);
  registerStatus(program, deps, done);
  registerWatch(program, deps, done);
  registerLogical(program, deps, done);
  return program;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message;
  }
  return String(error);
}

/** Runs the CLI on `argv` (without node and script); returns the exit code, never exits. */
export async function run(argv: readonly string[], deps: CliDeps): Promise<ExitCode> {
  const state: ProgramState = { exitCode: EXIT.ok };
  try {
    await buildProgram(deps, state).parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      deps.err(`${error.message}\n`);
      return EXIT.usage;
    }
    deps.err(`${describeError(error)}\n`);
    return EXIT.failed;
  }
}

/** The real dependencies: SDK clients per region (standard credential chain), stdout/stderr, the clock. */
export function defaultDeps(): CliDeps {
  const clients = new Map<string, SFNClient>();
  return {
    sfn: (region) => {
      let client = clients.get(region);
      if (!client) {
        client = new SFNClient({ region });
        clients.set(region, client);
      }
      return client;
    },
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    tty: process.stdout.isTTY === true,
    environments: knownEnvironments,
    config: (name) => loadConfig(name),
  };
}

/** Entry point of `bin/authdb-dr.cjs`. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<ExitCode> {
  return run(argv, defaultDeps());
}
