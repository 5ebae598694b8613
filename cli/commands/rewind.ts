import type { Command } from 'commander';
import { type RewindInput, rewindInputSchema } from '../../contract/rewind-input.js';
import {
  type CliDeps,
  checkExecutionName,
  type Environment,
  type ExitCode,
  invalidInput,
  resolveEnvironment,
  UsageError,
} from '../context.js';
import { type Done, envAction } from '../env-command.js';
import { intervalOption } from '../options.js';
import { followOrHint, startExecution } from '../start.js';
import { normalizeTime } from '../time.js';
import { registerApprove, withStarterProof } from './approve.js';
import { registerStatusAndWatch } from './execution-commands.js';

const FLAGS = { incidentTime: '--incident-time', cutover: '--confirm-cutover', dryRun: '--dry-run' };

interface RewindFlags {
  env: string;
  incidentTime: string;
  confirmCutover?: string;
  dryRun?: boolean;
  name?: string;
  watch?: boolean;
  interval: number;
}

/** The environment's rewind, or bad input naming the path to take where there is no delayed replica. */
function rewindEnvironment(deps: CliDeps, name: string): Environment {
  const env = resolveEnvironment(deps, name);
  if (!env.config.delayedReplica.enabled) {
    throw new UsageError(
      `Environment ${name} has no delayed replica (delayedReplica.enabled is false), so no rewind workflow; ` +
        `use the point-in-time restore: npx authdb-dr restore start --env ${name} --source ${env.sourceInstanceId} ` +
        `--time <before the incident> --target ${env.sourceInstanceId}-restored-<n>`,
    );
  }
  return env;
}

/**
 * The rewind input from flags, validated with the workflow's own schema and against the environment: the
 * confirmation must name its production instance, and T must be in the past and younger than the replica's delay
 * (older than that the replica has replayed it, and the workflow would refuse). Every problem in one error.
 */
export function rewindInputFromFlags(env: Environment, flags: RewindFlags, now: Date): RewindInput {
  const input: Record<string, unknown> = { incidentTime: normalizeTime(flags.incidentTime) ?? flags.incidentTime };
  if (flags.dryRun) input.dryRun = true;
  if (flags.confirmCutover !== undefined) input.cutover = { confirmSourceInstanceId: flags.confirmCutover };
  const result = rewindInputSchema.safeParse(input);
  const extra: string[] = [];
  if (flags.confirmCutover !== undefined && flags.confirmCutover !== env.sourceInstanceId) {
    extra.push(
      `cutover.confirmSourceInstanceId = ${JSON.stringify(flags.confirmCutover)}; allowed: ${env.sourceInstanceId} ` +
        `(the production instance of ${env.name}) [--confirm-cutover]`,
    );
  }
  if (result.success) {
    const t = Date.parse(result.data.incidentTime);
    const delayMinutes = env.config.delayedReplica.applyDelayMinutes;
    if (t > now.getTime()) {
      extra.push(`incidentTime = ${JSON.stringify(input.incidentTime)}; allowed: a time in the past [--incident-time]`);
    } else if (t < now.getTime() - delayMinutes * 60_000) {
      extra.push(
        `incidentTime = ${JSON.stringify(input.incidentTime)}; allowed: within the last ${delayMinutes} minutes ` +
          `(delayedReplica.applyDelayMinutes of ${env.name}): the delayed replica has replayed anything older. Use ` +
          `the point-in-time restore: npx authdb-dr restore start --env ${env.name} --source ${env.sourceInstanceId} ` +
          `--time <before ${input.incidentTime}> --target ${env.sourceInstanceId}-restored-<n> [--incident-time]`,
      );
    }
  }
  if (!result.success || extra.length > 0) {
    throw invalidInput('rewind input', input, result.success ? [] : result.error.issues, FLAGS, extra);
  }
  return result.data;
}

/**
 * Starts the rewind. `--dry-run` starts the workflow's read-only dry run (it reads the replica's replay position and
 * changes nothing) and waits for it: what it would do, the expected R and the expected time.
 */
async function startRewind(deps: CliDeps, env: Environment, flags: RewindFlags): Promise<ExitCode> {
  const validated = rewindInputFromFlags(env, flags, deps.now());
  // A confirmed cutover carries a proof of who starts it where a second person approves (a dry run renames nothing).
  const { input, name } = validated.dryRun
    ? { input: validated, name: checkExecutionName(flags.name) }
    : await withStarterProof(deps, env, validated, checkExecutionName(flags.name), 'rewind');
  const execution = await startExecution(deps, env, 'rewind', input, name);
  if (input.cutover) {
    const approval = env.config.cutover.requireApproval
      ? ` and approved by a second person (npx authdb-dr rewind approve --env ${env.name} --execution ${execution.name})`
      : '';
    deps.err(
      `Cutover confirmed: once verified${approval}, the rewound replica takes the name ${env.sourceInstanceId}.\n`,
    );
  }
  return followOrHint(deps, env, execution, flags.watch === true || input.dryRun, flags.interval);
}

export function registerRewind(program: Command, deps: CliDeps, done: Done) {
  const rewind = program
    .command('rewind')
    .description('the rewind workflow for bad writes (authdb-dr-<env>-rewind): the delayed replica, to just before T');
  const start = rewind
    .command('start')
    .description(
      'rewind the delayed replica to just before the incident time T, promote and verify it (and, with ' +
        '--confirm-cutover, give it the production name through the guarded cutover)',
    )
    .requiredOption(
      '--incident-time <time>',
      'T, when the bad write started, with a zone: ISO 8601 or psql form ("2026-11-26 02:55:00+09"); nothing ' +
        'committed at or after T survives',
    )
    .option('--confirm-cutover <production-id>', 'cut over after verification: repeat the production instance id')
    .option(
      '--dry-run',
      'run the read-only dry run and print what the rewind would do, the expected recovery point R and time',
    )
    .option('--name <name>', 'execution name (default: generated by Step Functions)')
    .option('--watch', 'after starting, watch the execution until it ends');
  envAction(start, deps, done, (env, flags: RewindFlags) => startRewind(deps, env, flags), {
    environment: (d, flags) => rewindEnvironment(d, flags.env),
    options: intervalOption,
  });

  registerApprove(rewind, deps, done, 'rewind');

  registerStatusAndWatch(rewind, deps, done, {
    argument: 'rewind execution name or ARN',
    status: 'show a rewind execution: status, elapsed vs RTO, R against T, the cutover, what to do next',
    watch: 'follow a rewind execution until it ends, then print what it produced',
    kind: 'rewind',
    environment: rewindEnvironment,
  });
}
