import { BackupClient } from '@aws-sdk/client-backup';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { Command, CommanderError, Option } from 'commander';
import { knownEnvironments, loadConfig } from '../lib/config/load.js';
import { describeError, failureKind } from './aws-errors.js';
import { registerDrDrill } from './commands/dr-drill.js';
import { registerDrill } from './commands/drill.js';
import { ANY_EXECUTION, registerStatusAndWatch } from './commands/execution-commands.js';
import { registerExecutions } from './commands/executions.js';
import { registerFailover } from './commands/failover.js';
import { registerInfo } from './commands/info.js';
import { registerLogical } from './commands/logical.js';
import { registerReadiness } from './commands/readiness.js';
import { registerRestore } from './commands/restore.js';
import { registerRewind } from './commands/rewind.js';
import { registerStandby } from './commands/standby.js';
import { type CliDeps, EXIT, type ExitCode, type GlobalSettings, ObservationError, UsageError } from './context.js';

export type { CliDeps } from './context.js';

const USAGE = `
Usage of each command (add --help to any of them for details):
  authdb-dr drill start   --env ENV [--mode point-in-time|latest-snapshot|snapshot|recovery-point]
                          [--snapshot ID] [--recovery-point ARN] [--name NAME] [--dry-run] [--watch [--interval S]]
  authdb-dr restore start --env ENV --source ID (--time ISO|latest | --snapshot ID | --recovery-point ARN)
                          --target ID [--instance-class CLASS] [--cutover-confirm SOURCE_ID] [--name NAME]
                          [--dry-run] [--watch [--interval S]]
  authdb-dr restore approve --env ENV --execution NAME [--reject [--reason TEXT]]  (the second person)
  authdb-dr rewind start  --env ENV --incident-time T [--confirm-cutover PRODUCTION_ID] [--dry-run]
                          [--name NAME] [--watch [--interval S]]
  authdb-dr rewind status|watch --env ENV EXECUTION
  authdb-dr readiness     --env ENV
  authdb-dr failover start --env ENV --mode promote|pitr|recovery-point --confirm-source PRIMARY_ID
                          [--failure-time T] [--restore-time T|latest] [--recovery-point ARN] [--target ID]
                          [--instance-class CLASS] [--dry-run] [--name NAME] [--watch [--interval S]]
  authdb-dr failover status|watch --env ENV EXECUTION   (in the DR region)
  authdb-dr standby       --env ENV   (the DR-region standby: state, replication, lag vs RPO)
  authdb-dr dr-drill start --env ENV [--name NAME] [--dry-run] [--watch [--interval S]]   (in the DR region)
  authdb-dr dr-drill status|watch --env ENV EXECUTION
  authdb-dr status        --env ENV EXECUTION (name or ARN)
  authdb-dr watch         --env ENV EXECUTION [--interval SECONDS]
  authdb-dr executions    --env ENV [--workflow drill|restore|failover] [--limit N]
  authdb-dr info          --env ENV
Every command also takes --profile NAME, --region REGION (the environment's primary or DR region) and
--output text|json. Times: ISO 8601 or psql's form (2026-11-26 02:55:00+09), always with a zone.

Exit codes: 0 success (status: also still running), 1 the workflow failed (or AWS refused the request), 2 bad
flags or input, 3 could not observe (credentials, network, throttling): the execution may still run; the command
to re-attach is printed (also on Ctrl-C during watch).`;

/** The outcome of one parse: what the action returned. */
export interface ProgramState {
  exitCode: ExitCode;
}

/**
 * The `authdb-dr` command tree. Commander never exits the process: errors surface from `parseAsync` and the
 * action's exit code lands in `state` (see `run`).
 */
export function buildProgram(deps: CliDeps, state: ProgramState = { exitCode: EXIT.ok }, version = '0.0.0'): Command {
  const program = new Command('authdb-dr')
    .description('Operate the authdb-dr DR drill and restore workflows (AWS Step Functions)')
    .version(version, '-V, --version', 'print the version of authdb-dr')
    .option('--profile <name>', 'AWS profile to use (default: the standard credential chain)')
    .option('--region <region>', "the environment's region to talk to (default: its primary region)")
    .addOption(
      new Option('--output <format>', 'text for people, json for scripts').choices(['text', 'json']).default('text'),
    )
    .addHelpText('after', USAGE)
    .configureHelp({ showGlobalOptions: true })
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
  // The global flags reach the commands through deps.settings (read by resolveEnvironment and the printers).
  program.hook('preAction', (_program, action) => {
    const flags = action.optsWithGlobals<{ profile?: string; region?: string; output: 'text' | 'json' }>();
    const settings: GlobalSettings = { output: flags.output };
    if (flags.profile !== undefined) settings.profile = flags.profile;
    if (flags.region !== undefined) settings.region = flags.region;
    deps.settings = settings;
  });
  registerDrill(program, deps, done);
  registerRestore(program, deps, done);
  registerStatusAndWatch(program, deps, done, ANY_EXECUTION);
  registerExecutions(program, deps, done);
  registerInfo(program, deps, done);
  registerLogical(program, deps, done);
  registerRewind(program, deps, done);
  registerReadiness(program, deps, done);
  registerFailover(program, deps, done);
  registerStandby(program, deps, done);
  registerDrDrill(program, deps, done);
  return program;
}

/** Runs the CLI on `argv` (without node and script); returns the exit code, never exits. */
export async function run(argv: readonly string[], deps: CliDeps, version?: string): Promise<ExitCode> {
  const state: ProgramState = { exitCode: EXIT.ok };
  try {
    await buildProgram(deps, state, version).parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof UsageError) {
      deps.err(`${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof ObservationError) {
      deps.err(`${error.message}\n`);
      if (error.reattach) deps.err(`The execution may still be running. Re-attach with:\n  ${error.reattach}\n`);
      return EXIT.unobserved;
    }
    deps.err(`${describeError(error)}\n`);
    // An SDK failure to observe that no command classified (credentials, network, throttling) is still exit 3.
    return failureKind(error) === 'request' ? EXIT.failed : EXIT.unobserved;
  }
}

/** One client per region, created on first use with the `--profile` of this run (standard chain without it). */
function perRegion<T>(deps: () => CliDeps, create: (config: { region: string; profile?: string }) => T) {
  const clients = new Map<string, T>();
  return (region: string): T => {
    let client = clients.get(region);
    if (!client) {
      const profile = deps().settings?.profile;
      client = create({ region, ...(profile ? { profile } : {}) });
      clients.set(region, client);
    }
    return client;
  };
}

/** The real dependencies: SDK clients per region (standard credential chain), stdout/stderr, the clock. */
export function defaultDeps(): CliDeps {
  const self = (): CliDeps => deps;
  const deps: CliDeps = {
    sfn: perRegion(self, (config) => new SFNClient(config)),
    rds: perRegion(self, (config) => new RDSClient(config)),
    backup: perRegion(self, (config) => new BackupClient(config)),
    cloudwatch: perRegion(self, (config) => new CloudWatchClient(config)),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    tty: process.stdout.isTTY === true,
    environments: knownEnvironments,
    config: (name) => loadConfig(name),
    onInterrupt: (handler) => {
      // 130 = 128 + SIGINT, what a shell reports for Ctrl-C.
      const listener = () => {
        handler();
        process.exit(130);
      };
      process.once('SIGINT', listener);
      return () => process.removeListener('SIGINT', listener);
    },
  };
  return deps;
}

/** Entry point of `bin/authdb-dr.cjs` (built into dist/ by `npm run build`). */
export async function main(argv: readonly string[] = process.argv.slice(2), version?: string): Promise<ExitCode> {
  return run(argv, defaultDeps(), version);
}
