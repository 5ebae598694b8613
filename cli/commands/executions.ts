import { type ExecutionListItem, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { observe } from '../aws.js';
import {
  type CliDeps,
  type Environment,
  EXIT,
  LISTED_WORKFLOWS,
  resolveEnvironment,
  type WorkflowKind,
} from '../context.js';
import { type Done, envAction, printReport } from '../env-command.js';
import { formatDuration } from '../format.js';
import { bothZones } from '../time.js';
import { failoverEnvironment } from './failover.js';

export interface ExecutionRow {
  workflow: WorkflowKind;
  name: string;
  status: string;
  startedAt?: string;
  stoppedAt?: string;
  durationSeconds?: number;
  arn: string;
}

function row(workflow: WorkflowKind, item: ExecutionListItem, now: Date): ExecutionRow {
  const end = item.stopDate ?? now;
  return {
    workflow,
    name: item.name ?? '-',
    status: item.status ?? 'UNKNOWN',
    startedAt: item.startDate?.toISOString(),
    stoppedAt: item.stopDate?.toISOString(),
    durationSeconds: item.startDate ? Math.round((end.getTime() - item.startDate.getTime()) / 1000) : undefined,
    arn: item.executionArn ?? '-',
  };
}

/** The newest executions of the environment's workflows (newest first, `limit` of each). */
export async function listExecutions(
  deps: CliDeps,
  env: Environment,
  workflows: readonly WorkflowKind[],
  limit: number,
): Promise<ExecutionRow[]> {
  const client = deps.sfn(env.region);
  const rows: ExecutionRow[] = [];
  for (const workflow of workflows) {
    const out = await observe(env, `list the ${workflow} executions`, () =>
      client.send(new ListExecutionsCommand({ stateMachineArn: env.stateMachineArn(workflow), maxResults: limit })),
    );
    rows.push(...(out.executions ?? []).map((item) => row(workflow, item, deps.now())));
  }
  return rows.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}

/** Lines of a table of executions, for text output. */
export function executionLines(rows: readonly ExecutionRow[]): string[] {
  if (rows.length === 0) return ['  (none)'];
  return rows.map(
    (r) =>
      `  ${r.workflow.padEnd(9)}${r.name.padEnd(40)}${r.status.padEnd(11)}started ${bothZones(r.startedAt)}` +
      (r.durationSeconds === undefined
        ? ''
        : `  ${r.stoppedAt ? 'took' : 'running for'} ${formatDuration(r.durationSeconds * 1000)}`),
  );
}

function limit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError('allowed: 1 to 100');
  return n;
}

export function registerExecutions(program: Command, deps: CliDeps, done: Done) {
  const executions = program
    .command('executions')
    .description('list the newest executions of the drill and restore workflows, with their status')
    .addOption(new Option('--workflow <kind>', 'only this workflow').choices([...LISTED_WORKFLOWS]))
    .option('--limit <n>', 'executions of each workflow (1 to 100)', limit, 10);
  envAction(
    executions,
    deps,
    done,
    async (env, flags: { env: string; workflow?: WorkflowKind; limit: number }) => {
      const workflows: WorkflowKind[] = flags.workflow ? [flags.workflow] : ['restore', 'drill'];
      const rows = await listExecutions(deps, env, workflows, flags.limit);
      printReport(deps, rows, () => [
        `Executions of ${workflows.map((w) => env.stateMachineArn(w)).join(' and ')}:`,
        ...executionLines(rows),
        ...(rows.length > 0 ? [`Details: npx authdb-dr status --env ${env.name} NAME`] : []),
      ]);
      return EXIT.ok;
    },
    {
      // The failover state machine exists only in the DR region.
      environment: (d, flags) =>
        flags.workflow === 'failover' ? failoverEnvironment(d, flags.env) : resolveEnvironment(d, flags.env),
    },
  );
}
