import type { Command } from 'commander';
import { type FailoverInput, failoverInputSchema } from '../../contract/failover-input.js';
import {
  type CliDeps,
  checkExecutionName,
  type Environment,
  type ExitCode,
  invalidInput,
  resolveEnvironment,
  settingsOf,
  UsageError,
} from '../context.js';
import { type Done, envAction } from '../env-command.js';
import { intervalOption } from '../options.js';
import { followOrHint, startExecution } from '../start.js';
import { normalizeTime } from '../time.js';
import { registerStatusAndWatch } from './execution-commands.js';

const FLAGS = {
  mode: '--mode',
  confirmSourceInstanceId: '--confirm-source',
  failureTime: '--failure-time',
  restoreTime: '--restore-time',
  recoveryPointArn: '--recovery-point',
  targetInstanceId: '--target',
  instanceClass: '--instance-class',
};

/** `--mode point-in-time` (the drill's word) is the workflow's "pitr". */
const MODE_ALIASES: Record<string, string> = { 'point-in-time': 'pitr' };

export interface FailoverFlags {
  env: string;
  mode: string;
  confirmSource?: string;
  failureTime?: string;
  restoreTime?: string;
  recoveryPoint?: string;
  target?: string;
  instanceClass?: string;
  dryRun?: boolean;
  name?: string;
  watch?: boolean;
  interval: number;
}

/**
 * The environment with the DR region as its region: the failover state machine lives only there (the primary
 * region may be down). `--region` naming the primary region is bad input.
 */
export function failoverEnvironment(deps: CliDeps, name: string): Environment {
  return drRegionEnvironment(deps, name, 'the failover workflow');
}

/** The environment with the DR region as its region, for `what`, which runs only there. */
export function drRegionEnvironment(deps: CliDeps, name: string, what: string): Environment {
  const env = resolveEnvironment(deps, name);
  if (env.region !== env.config.drRegion && settingsOf(deps).region !== undefined) {
    throw new UsageError(
      `--region = ${JSON.stringify(env.region)}; allowed: ${env.config.drRegion} (the DR region of ${name}, where ` +
        `${what} runs) or no --region`,
    );
  }
  return resolveEnvironment({ ...deps, settings: { ...settingsOf(deps), region: env.config.drRegion } }, name);
}

/**
 * The failover input from flags, validated with the workflow's own schema and against the environment (the
 * confirmation must name its primary instance; mode fields only with their mode; the instance class one the
 * workflow allows). Every problem in one error, before any call to AWS.
 */
export function failoverInputFromFlags(env: Environment, flags: FailoverFlags, now: Date): FailoverInput {
  const input: Record<string, unknown> = {
    mode: MODE_ALIASES[flags.mode] ?? flags.mode,
    confirmSourceInstanceId: flags.confirmSource,
  };
  const time = (text: string) => (text === 'latest' ? text : (normalizeTime(text) ?? text));
  if (flags.failureTime !== undefined) input.failureTime = time(flags.failureTime);
  if (flags.restoreTime !== undefined) input.restoreTime = time(flags.restoreTime);
  if (flags.recoveryPoint !== undefined) input.recoveryPointArn = flags.recoveryPoint;
  if (flags.target !== undefined) input.targetInstanceId = flags.target;
  if (flags.instanceClass !== undefined) input.instanceClass = flags.instanceClass;
  if (flags.dryRun) input.dryRun = true;
  const result = failoverInputSchema.safeParse(input);
  const extra: string[] = [];
  const primary = env.sourceInstanceId;
  if (flags.confirmSource !== primary) {
    extra.push(
      `confirmSourceInstanceId = ${JSON.stringify(flags.confirmSource ?? null)}; allowed: ${primary} (the primary ` +
        `instance of ${env.name}: the failover replaces it) [--confirm-source]`,
    );
  }
  const mode = input.mode;
  const only = (field: keyof typeof FLAGS, modes: string[]) => {
    if (input[field] !== undefined && typeof mode === 'string' && !modes.includes(mode)) {
      extra.push(
        `${field} = ${JSON.stringify(input[field])}; allowed: only with mode ${modes.join(' or ')} [${FLAGS[field]}]`,
      );
    }
  };
  only('restoreTime', ['pitr']);
  only('recoveryPointArn', ['recovery-point']);
  only('targetInstanceId', ['pitr', 'recovery-point']);
  only('instanceClass', ['pitr', 'recovery-point']);
  const classes = env.config.drSite.failover.instanceClasses;
  if (flags.instanceClass !== undefined && !classes.includes(flags.instanceClass)) {
    extra.push(
      `instanceClass = ${JSON.stringify(flags.instanceClass)}; allowed: one of ${classes.join(', ')} ` +
        `(drSite.failover.instanceClasses of ${env.name}) [--instance-class]`,
    );
  }
  if (result.success && result.data.failureTime && Date.parse(result.data.failureTime) > now.getTime()) {
    extra.push(
      `failureTime = ${JSON.stringify(result.data.failureTime)}; allowed: a time not in the future (now ` +
        `${now.toISOString()}) [--failure-time]`,
    );
  }
  const prefix = `authdb-${env.name}-dr-`;
  if (flags.target !== undefined && !flags.target.startsWith(prefix)) {
    extra.push(
      `targetInstanceId = ${JSON.stringify(flags.target)}; allowed: an id starting with "${prefix}" [--target]`,
    );
  }
  if (!result.success || extra.length > 0) {
    // The confirmation's own line above says what is allowed; the schema's "expected string" adds nothing.
    const issues = result.success ? [] : result.error.issues.filter((i) => i.path[0] !== 'confirmSourceInstanceId');
    throw invalidInput('failover input', input, issues, FLAGS, extra);
  }
  return result.data;
}

/**
 * Starts the failover in the DR region. `--dry-run` starts the workflow's dry run (it validates and plans against the
 * DR region, changes nothing) and waits for its plan.
 */
async function startFailover(deps: CliDeps, env: Environment, flags: FailoverFlags): Promise<ExitCode> {
  const input = failoverInputFromFlags(env, flags, deps.now());
  const execution = await startExecution(deps, env, 'failover', input, checkExecutionName(flags.name));
  return followOrHint(deps, env, execution, flags.watch === true || input.dryRun, flags.interval);
}

export function registerFailover(program: Command, deps: CliDeps, done: Done) {
  const failover = program
    .command('failover')
    .description('the region-loss failover workflow (authdb-dr-<env>-failover), in the DR region');
  const start = failover
    .command('start')
    .description('fail over to the DR region: promote the standby, or restore from the replicated backups or DR vault')
    .requiredOption('--mode <mode>', 'promote (the standby), pitr or point-in-time, recovery-point')
    .option('--confirm-source <primary-id>', 'repeat the primary instance id (authdb-<env>): required')
    .option('--failure-time <time>', 'when the primary was lost, with a zone (RPO is measured against it)')
    .option('--restore-time <time>', 'mode pitr: a time in the replicated restore window, or latest (default)')
    .option('--recovery-point <arn>', 'mode recovery-point: a recovery point of the DR vault (default: the newest)')
    .option('--target <id>', 'modes pitr and recovery-point: the new instance id (authdb-<env>-dr-…)')
    .option('--instance-class <class>', 'modes pitr and recovery-point: one of drSite.failover.instanceClasses')
    .option('--dry-run', 'run the workflow read-only: validate and plan in the DR region, change nothing')
    .option('--name <name>', 'execution name (default: generated by Step Functions)')
    .option('--watch', 'after starting, watch the execution until it ends');
  envAction(start, deps, done, (env, flags: FailoverFlags) => startFailover(deps, env, flags), {
    environment: (d, flags) => failoverEnvironment(d, flags.env),
    options: intervalOption,
  });

  registerStatusAndWatch(failover, deps, done, {
    argument: 'failover execution name or ARN',
    status: 'show a failover execution: status, elapsed vs RTO, the new writer, what clients must change',
    watch: 'follow a failover execution until it ends, then print what it produced',
    kind: 'failover',
    environment: failoverEnvironment,
  });
}
