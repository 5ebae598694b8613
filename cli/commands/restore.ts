import type { Command } from 'commander';
import { type RestoreInput, restoreInputSchema } from '../../contract/restore-input.js';
import { type CliDeps, type Environment, invalidInput } from '../context.js';
import { type Done, envAction } from '../env-command.js';
import { type StartFlags, startOptions } from '../options.js';
import { startWorkflow } from '../start.js';
import { normalizeTime } from '../time.js';
import { registerApprove, withStarterProof } from './approve.js';

const FLAGS = {
  sourceInstanceId: '--source',
  restoreTime: '--time',
  snapshotIdentifier: '--snapshot',
  recoveryPointArn: '--recovery-point',
  targetInstanceId: '--target',
  instanceClass: '--instance-class',
  cutover: '--cutover-confirm',
};

interface RestoreFlags extends StartFlags {
  source: string;
  time?: string;
  snapshot?: string;
  recoveryPoint?: string;
  target: string;
  instanceClass?: string;
  cutoverConfirm?: string;
}

/** The restore workflow's input from flags: only the flags given, so the schema sees exactly what was asked. */
export function restoreInputFromFlags(flags: RestoreFlags): Record<string, unknown> {
  const input: Record<string, unknown> = { sourceInstanceId: flags.source };
  // psql/pgBackRest forms become ISO 8601; anything else goes to the schema as typed, which names what is allowed.
  if (flags.time !== undefined)
    input.restoreTime = flags.time === 'latest' ? 'latest' : (normalizeTime(flags.time) ?? flags.time);
  if (flags.snapshot !== undefined) input.snapshotIdentifier = flags.snapshot;
  if (flags.recoveryPoint !== undefined) input.recoveryPointArn = flags.recoveryPoint;
  input.targetInstanceId = flags.target;
  if (flags.instanceClass !== undefined) input.instanceClass = flags.instanceClass;
  if (flags.cutoverConfirm !== undefined) input.cutover = { confirmSourceInstanceId: flags.cutoverConfirm };
  return input;
}

/**
 * Validates with the state machine's own schema, and checks the instance class against the environment's
 * `restore.allowedInstanceClasses` and the source's configured class (the state machine checks it too, against the
 * source's actual class); every problem in one error.
 */
export function validateRestoreInput(env: Environment, input: Record<string, unknown>): RestoreInput {
  const result = restoreInputSchema.safeParse(input);
  const issues = result.success ? [] : result.error.issues;
  // The state machine also admits the source's own class; the CLI knows it from config (database.instanceClass).
  const allowed = [...new Set([env.config.database.instanceClass, ...env.config.restore.allowedInstanceClasses])];
  const extra: string[] = [];
  const instanceClass = input.instanceClass;
  if (
    typeof instanceClass === 'string' &&
    !allowed.includes(instanceClass) &&
    !issues.some((issue) => issue.path[0] === 'instanceClass')
  ) {
    extra.push(
      `instanceClass = ${JSON.stringify(instanceClass)}; allowed: ${allowed.join(', ')} ` +
        `(database.instanceClass and restore.allowedInstanceClasses of ${env.name}) [--instance-class]`,
    );
  }
  if (issues.length > 0 || extra.length > 0) throw invalidInput('restore input', input, issues, FLAGS, extra);
  return result.data!;
}

export function registerRestore(program: Command, deps: CliDeps, done: Done) {
  const restore = program.command('restore').description('the restore workflow (authdb-dr-<env>-restore)');
  const start = restore
    .command('start')
    .description(
      'restore the database into a new instance from exactly one of --time, --snapshot or --recovery-point ' +
        '(and, with --cutover-confirm, switch over to it)',
    )
    .requiredOption('--source <id>', 'source DB instance identifier')
    .option(
      '--time <time|latest>',
      'point in time with a zone: ISO 8601 (2026-11-25T17:55:00Z, 2026-11-26T02:55:00+09:00) or psql form ' +
        '("2026-11-26 02:55:00+09", +0900, seconds optional); or "latest"',
    )
    .option('--snapshot <id>', 'snapshot identifier to restore')
    .option('--recovery-point <arn>', 'AWS Backup recovery point ARN (of the RDS database) to restore')
    .requiredOption('--target <id>', 'identifier of the new instance (never the source)')
    .option('--instance-class <class>', "instance class of the new instance (default: the source's)")
    .option('--cutover-confirm <source-id>', 'cut over after the restore: repeat the source identifier to confirm');
  envAction(
    start,
    deps,
    done,
    async (env, flags: RestoreFlags) => {
      const validated = validateRestoreInput(env, restoreInputFromFlags(flags));
      // A dry run starts nothing: it needs no proof of who starts it.
      if (flags.dryRun) return startWorkflow(deps, env, 'restore', validated, flags);
      const { input, name } = await withStarterProof(deps, env, validated, flags.name);
      return startWorkflow(deps, env, 'restore', input, { ...flags, ...(name ? { name } : {}) });
    },
    { options: startOptions },
  );
  registerApprove(restore, deps, done);
}
