import type { Command } from 'commander';
import { resourceName } from '../../contract/names.js';
import {
  type CliDeps,
  checkExecutionName,
  type Environment,
  EXIT,
  type ExitCode,
  print,
  UsageError,
} from '../context.js';
import { type Done, envAction } from '../env-command.js';
import { type StartFlags, startOptions } from '../options.js';
import { followOrHint, startExecution } from '../start.js';
import { registerStatusAndWatch } from './execution-commands.js';
import { drRegionEnvironment } from './failover.js';

/** The workflow takes no options: any field fails its first state with InvalidInput. */
const INPUT = {};

/** The environment in the DR region, or bad input where the DR-region drill's stack is not deployed. */
function drDrillEnvironment(deps: CliDeps, name: string): Environment {
  const env = drRegionEnvironment(deps, name, 'the DR-region drill');
  if (!env.config.drRegionDrill.enabled) {
    throw new UsageError(
      `Environment ${name} has no DR-region drill (drRegionDrill.enabled is false, so its stack ` +
        `${resourceName(name, 'dr-drill')} is not deployed); the drill in the primary region: npx authdb-dr drill start ` +
        `--env ${name}`,
    );
  }
  return env;
}

/** Starts the DR-region drill; `--dry-run` prints what it would start and starts nothing. */
async function startDrDrill(deps: CliDeps, env: Environment, flags: StartFlags): Promise<ExitCode> {
  const name = checkExecutionName(flags.name);
  if (flags.dryRun) {
    const stateMachineArn = env.stateMachineArn('dr-region-drill');
    print(deps, JSON.stringify({ stateMachineArn, ...(name ? { name } : {}), input: INPUT }, null, 2));
    deps.err('Dry run: input is valid; no execution started.\n');
    return EXIT.ok;
  }
  const execution = await startExecution(deps, env, 'dr-region-drill', INPUT, name);
  return followOrHint(deps, env, execution, flags.watch === true, flags.interval);
}

export function registerDrDrill(program: Command, deps: CliDeps, done: Done) {
  const drDrill = program
    .command('dr-drill')
    .description('the DR-region drill (authdb-dr-<env>-dr-region-drill), in the DR region');
  const start = drDrill
    .command('start')
    .description(
      'start a DR-region drill: restore the replicated backups in the DR region into a scratch instance, verify ' +
        'row counts (against the primary when it answers), report RTO/RPO, clean up',
    );
  envAction(start, deps, done, (env, flags: StartFlags) => startDrDrill(deps, env, flags), {
    environment: (d, flags) => drDrillEnvironment(d, flags.env),
    options: startOptions,
  });
  registerStatusAndWatch(drDrill, deps, done, {
    argument: 'DR-region drill execution name or ARN',
    status: 'show a DR-region drill execution: status, elapsed vs RTO, comparison, row counts, cleanup',
    watch: 'follow a DR-region drill execution until it ends, then print what it produced',
    kind: 'dr-region-drill',
    environment: drDrillEnvironment,
  });
}
