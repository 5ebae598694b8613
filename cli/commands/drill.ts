import type { Command } from 'commander';
import { type DrillInput, drillInputSchema } from '../../contract/drill-input.js';
import { type CliDeps, invalidInput } from '../context.js';
import { type Done, envAction } from '../env-command.js';
import { type StartFlags, startOptions } from '../options.js';
import { startWorkflow } from '../start.js';

const FLAGS = { mode: '--mode', snapshotIdentifier: '--snapshot', recoveryPointArn: '--recovery-point' };

interface DrillFlags extends StartFlags {
  mode?: string;
  snapshot?: string;
  recoveryPoint?: string;
}

/**
 * The drill's input from flags. Without `--mode`, `--snapshot` implies `snapshot` and `--recovery-point` implies
 * `recovery-point`; otherwise the schema's default (point-in-time) applies.
 */
export function drillInputFromFlags(flags: DrillFlags): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const implied =
    flags.snapshot !== undefined && flags.recoveryPoint === undefined
      ? 'snapshot'
      : flags.recoveryPoint !== undefined && flags.snapshot === undefined
        ? 'recovery-point'
        : undefined;
  const mode = flags.mode ?? implied;
  if (mode !== undefined) input.mode = mode;
  if (flags.snapshot !== undefined) input.snapshotIdentifier = flags.snapshot;
  if (flags.recoveryPoint !== undefined) input.recoveryPointArn = flags.recoveryPoint;
  return input;
}

export function validateDrillInput(input: unknown): DrillInput {
  const result = drillInputSchema.safeParse(input);
  if (!result.success) throw invalidInput('drill input', input, result.error.issues, FLAGS);
  return result.data;
}

export function registerDrill(program: Command, deps: CliDeps, done: Done) {
  const drill = program.command('drill').description('the DR drill (authdb-dr-<env>-drill)');
  const start = drill
    .command('start')
    .description('start a DR drill: restore into a scratch instance, verify row counts, report RTO/RPO, clean up')
    .option('--mode <mode>', 'point-in-time (default), latest-snapshot, snapshot or recovery-point')
    .option('--snapshot <id>', 'snapshot to restore (mode snapshot)')
    .option('--recovery-point <arn>', 'AWS Backup recovery point ARN to restore (mode recovery-point)');
  envAction(
    start,
    deps,
    done,
    (env, flags: DrillFlags) =>
      startWorkflow(deps, env, 'drill', validateDrillInput(drillInputFromFlags(flags)), flags),
    { options: startOptions },
  );
}
