import type { Command } from 'commander';
import { executionOfKind, findExecution } from '../aws.js';
import type { CliDeps, Environment, WorkflowKind } from '../context.js';
import { type Done, envAction } from '../env-command.js';
import { intervalOption } from '../options.js';
import { printStatus } from './status.js';
import { watchExecution } from './watch.js';

/** One pair of `status` and `watch` commands: what they describe, and where they find the execution. */
export interface ExecutionCommands {
  /** The help of `<execution>`. */
  argument: string;
  /** The descriptions of `status` and of `watch`. */
  status: string;
  watch: string;
  /** Only executions of this workflow (default: any of the environment's, looked up by name). */
  kind?: WorkflowKind;
  /** The environment the workflow runs in (default: `--env` as `resolveEnvironment` reads it). */
  environment?: (deps: CliDeps, name: string) => Environment;
}

/** The top-level pair: any execution of the environment's workflows, looked up by name. */
export const ANY_EXECUTION: ExecutionCommands = {
  argument: 'execution name or ARN (printed by drill start / restore start, listed by executions)',
  status:
    'show an execution: status, start/stop, elapsed against the RTO target, error when it failed, and what it ' +
    'produced (instance, endpoint, recovery point, row counts, cutover, report)',
  watch:
    'follow an execution live until it ends (current state, elapsed vs RTO target, last events), then print what ' +
    'it produced',
};

/** `status <execution>` and `watch <execution>` under `parent`: the top level, `rewind` and `failover`. */
export function registerStatusAndWatch(parent: Command, deps: CliDeps, done: Done, spec: ExecutionCommands) {
  const { kind, environment: resolve } = spec;
  const environment = resolve && ((d: CliDeps, flags: { env: string }) => resolve(d, flags.env));
  const execution = (env: Environment, text = '') =>
    kind ? executionOfKind(deps, env, kind, text) : findExecution(deps, env, text);

  const status = parent.command('status').description(spec.status).argument('<execution>', spec.argument);
  envAction(status, deps, done, async (env, _flags, [text]) => printStatus(deps, env, await execution(env, text)), {
    environment,
  });

  const watch = parent.command('watch').description(spec.watch).argument('<execution>', spec.argument);
  envAction<{ env: string; interval: number }>(
    watch,
    deps,
    done,
    async (env, flags, [text]) => watchExecution(deps, env, await execution(env, text), flags.interval),
    { environment, options: intervalOption },
  );
}
