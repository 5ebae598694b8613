import { ListRecoveryPointsByBackupVaultCommand } from '@aws-sdk/client-backup';
import {
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import type { Command } from 'commander';
import { resourceName } from '../../contract/names.js';
import { observe } from '../aws.js';
import { describeError } from '../aws-errors.js';
import { type CliDeps, type Environment, EXIT } from '../context.js';
import { type Done, envAction, printReport } from '../env-command.js';
import { bothZones } from '../time.js';
import { type ExecutionRow, executionLines, listExecutions } from './executions.js';

/** Newest items shown per list. */
const NEWEST = 3;

export interface RestorableWindow {
  region: string;
  earliest?: string;
  latest?: string;
  status?: string;
}

export interface RecoveryPointRow {
  arn: string;
  createdAt?: string;
  status?: string;
  lifecycle?: string;
}

export interface EnvironmentInfo {
  environment: string;
  account: string;
  sourceInstanceId: string;
  primary: { region: string; instanceStatus?: string; window?: RestorableWindow; error?: string };
  replicated: { region: string; window?: RestorableWindow; error?: string };
  snapshots: { items: { identifier: string; type?: string; createdAt?: string; status?: string }[]; error?: string };
  vaults: { name: string; region: string; recoveryPoints: RecoveryPointRow[]; error?: string }[];
  executions: { items: ExecutionRow[]; error?: string };
}

/** One section: a request error (not found, no such vault) is shown in place; failing to observe stops `info`. */
async function section<T>(
  env: Environment,
  what: string,
  call: () => Promise<T>,
): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await observe(env, what, call) };
  } catch (error) {
    if (error instanceof Error && error.name === 'ObservationError') throw error;
    return { error: describeError(error) };
  }
}

function clients(deps: CliDeps) {
  if (!deps.rds || !deps.backup) throw new Error('info needs RDS and AWS Backup clients (CliDeps.rds, CliDeps.backup)');
  return { rds: deps.rds, backup: deps.backup };
}

async function windowIn(deps: CliDeps, env: Environment, region: string) {
  const rds = clients(deps).rds(region);
  return section(env, `read the automated backups in ${region}`, async () => {
    const out = await rds.send(
      new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: env.sourceInstanceId }),
    );
    // In the DR region the replicated backups are listed under the source's identifier, with their own window.
    const backup =
      (out.DBInstanceAutomatedBackups ?? []).find(
        (b) => b.Region === undefined || b.Region === env.config.primaryRegion,
      ) ?? out.DBInstanceAutomatedBackups?.[0];
    if (!backup) throw new Error(`no automated backups of ${env.sourceInstanceId} in ${region}`);
    return {
      region,
      earliest: backup.RestoreWindow?.EarliestTime?.toISOString(),
      latest: backup.RestoreWindow?.LatestTime?.toISOString(),
      status: backup.Status,
    } satisfies RestorableWindow;
  });
}

/** Everything an operator looks up before a restore, for one environment. */
export async function environmentInfo(deps: CliDeps, env: Environment): Promise<EnvironmentInfo> {
  const { primaryRegion, drRegion, account } = env.config;
  const rds = clients(deps).rds(primaryRegion);
  const instance = await section(env, `describe ${env.sourceInstanceId}`, async () => {
    const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: env.sourceInstanceId }));
    return out.DBInstances?.[0];
  });
  const primaryWindow = await windowIn(deps, env, primaryRegion);
  const replicated = await windowIn(deps, env, drRegion);
  const snapshots = await section(env, `list the snapshots of ${env.sourceInstanceId}`, async () => {
    const out = await rds.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: env.sourceInstanceId }));
    return (out.DBSnapshots ?? [])
      .sort((a, b) => (b.SnapshotCreateTime?.getTime() ?? 0) - (a.SnapshotCreateTime?.getTime() ?? 0))
      .slice(0, NEWEST)
      .map((s) => ({
        identifier: s.DBSnapshotIdentifier ?? '-',
        type: s.SnapshotType,
        createdAt: s.SnapshotCreateTime?.toISOString(),
        status: s.Status,
      }));
  });
  const vaults: EnvironmentInfo['vaults'] = [];
  for (const [which, region] of [
    ['primary', primaryRegion],
    ['dr', drRegion],
  ] as const) {
    const name = resourceName(env.name, which);
    const points = await section(env, `list the recovery points in vault ${name} (${region})`, async () => {
      const out = await clients(deps)
        .backup(region)
        .send(new ListRecoveryPointsByBackupVaultCommand({ BackupVaultName: name, ByResourceType: 'RDS' }));
      return (out.RecoveryPoints ?? [])
        .sort((a, b) => (b.CreationDate?.getTime() ?? 0) - (a.CreationDate?.getTime() ?? 0))
        .slice(0, NEWEST)
        .map((p) => ({
          arn: p.RecoveryPointArn ?? '-',
          createdAt: p.CreationDate?.toISOString(),
          status: p.Status,
          lifecycle: p.Lifecycle?.DeleteAfterDays ? `deleted after ${p.Lifecycle.DeleteAfterDays} days` : undefined,
        }));
    });
    vaults.push({ name, region, recoveryPoints: points.value ?? [], ...(points.error ? { error: points.error } : {}) });
  }
  const executions = await section(env, 'list the executions', () =>
    listExecutions(deps, env, ['restore', 'drill'], NEWEST),
  );
  return {
    environment: env.name,
    account,
    sourceInstanceId: env.sourceInstanceId,
    primary: {
      region: primaryRegion,
      instanceStatus: instance.value?.DBInstanceStatus,
      ...(primaryWindow.value
        ? {
            window: {
              ...primaryWindow.value,
              latest: instance.value?.LatestRestorableTime?.toISOString() ?? primaryWindow.value.latest,
            },
          }
        : {}),
      ...(instance.error || primaryWindow.error
        ? { error: [instance.error, primaryWindow.error].filter(Boolean).join('; ') }
        : {}),
    },
    replicated: {
      region: drRegion,
      ...(replicated.value ? { window: replicated.value } : {}),
      ...(replicated.error ? { error: replicated.error } : {}),
    },
    snapshots: { items: snapshots.value ?? [], ...(snapshots.error ? { error: snapshots.error } : {}) },
    vaults,
    executions: { items: executions.value ?? [], ...(executions.error ? { error: executions.error } : {}) },
  };
}

function windowLine(w: RestorableWindow | undefined, error: string | undefined): string {
  if (!w) return `unavailable (${error ?? 'no data'})`;
  return `${bothZones(w.earliest)}  to  ${bothZones(w.latest)}${w.status ? `  [${w.status}]` : ''}`;
}

export function infoLines(info: EnvironmentInfo): string[] {
  const lines = [
    `Environment ${info.environment} (account ${info.account}), database ${info.sourceInstanceId}`,
    '',
    'Restorable window (point in time; pass a time inside it to restore start --time):',
    `  primary ${info.primary.region}${info.primary.instanceStatus ? ` (instance ${info.primary.instanceStatus})` : ''}: ${windowLine(info.primary.window, info.primary.error)}`,
    `  replicated ${info.replicated.region}: ${windowLine(info.replicated.window, info.replicated.error)}`,
    '',
    `Newest snapshots of ${info.sourceInstanceId} (restore start --snapshot ID):`,
    ...(info.snapshots.error
      ? [`  unavailable (${info.snapshots.error})`]
      : info.snapshots.items.length === 0
        ? ['  (none)']
        : info.snapshots.items.map((s) =>
            `  ${s.identifier}  ${s.type ?? ''}  ${bothZones(s.createdAt)}  ${s.status ?? ''}`.trimEnd(),
          )),
  ];
  for (const vault of info.vaults) {
    lines.push(
      '',
      `Newest recovery points in vault ${vault.name} (${vault.region}) (restore start --recovery-point ARN):`,
    );
    if (vault.error) lines.push(`  unavailable (${vault.error})`);
    else if (vault.recoveryPoints.length === 0) lines.push('  (none)');
    else
      for (const p of vault.recoveryPoints)
        lines.push(`  ${p.arn}  ${bothZones(p.createdAt)}  ${p.status ?? ''}`.trimEnd());
  }
  lines.push('', 'Last restores and drills:');
  if (info.executions.error) lines.push(`  unavailable (${info.executions.error})`);
  else lines.push(...executionLines(info.executions.items));
  return lines;
}

export function registerInfo(program: Command, deps: CliDeps, done: Done) {
  const info = program
    .command('info')
    .description(
      'what can be restored: the restorable window in the primary and DR regions, the newest snapshots and ' +
        'recovery points per vault, the last drills and restores with their outcome',
    );
  envAction(info, deps, done, async (env) => {
    const result = await environmentInfo(deps, env);
    printReport(deps, result, () => infoLines(result));
    return EXIT.ok;
  });
}
