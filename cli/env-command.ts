import type { Command } from 'commander';
import { type CliDeps, type Environment, type ExitCode, print, resolveEnvironment, settingsOf } from './context.js';
import { envOption } from './options.js';

/** Records the exit code of a command's action (see `buildProgram`). */
export type Done = (action: Promise<ExitCode>) => Promise<void>;

export interface EnvActionOptions<F extends { env: string }> {
  /** The environment the command talks to (default: `--env` as `resolveEnvironment` reads it). */
  environment?: (deps: CliDeps, flags: F) => Environment;
  /** Options that follow `--env` in the help (`intervalOption`, `startOptions`). */
  options?: (command: Command) => Command;
}

/**
 * Adds `--env` (then `options`) to `command` and makes `run` its action, with the environment, the flags and the
 * command's arguments. The environment is resolved inside the action, so bad input there ends the run like any
 * other error of the action.
 */
export function envAction<F extends { env: string }>(
  command: Command,
  deps: CliDeps,
  done: Done,
  run: (env: Environment, flags: F, args: readonly string[]) => Promise<ExitCode>,
  { environment = (d, flags) => resolveEnvironment(d, flags.env), options = (c) => c }: EnvActionOptions<F> = {},
): Command {
  options(envOption(command, deps));
  return command.action(() =>
    done(
      (async () => {
        const flags = command.opts<F>();
        return run(environment(deps, flags), flags, command.processedArgs);
      })(),
    ),
  );
}

/** A command's report: the document as JSON with `--output json`, else its lines of text. */
export function printReport(deps: CliDeps, document: unknown, lines: () => readonly string[]): void {
  if (settingsOf(deps).output === 'json') print(deps, JSON.stringify(document, null, 2));
  else for (const line of lines()) print(deps, line);
}
