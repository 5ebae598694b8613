import {
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import { describeError, failureKind } from './aws-errors.js';
import { type CliDeps, type Environment, expectedTarget, UsageError, type WorkflowKind } from './context.js';
import { bothZones } from './time.js';

/** One check of a start's input: what was checked, and the verdict in `field = value; allowed: …` form. */
export interface Check {
  ok: boolean;
  text: string;
}

/** The fields of both workflows' inputs that name something in AWS. */
export interface StartInput {
  sourceInstanceId?: string;
  restoreTime?: string;
  snapshotIdentifier?: string;
  recoveryPointArn?: string;
  targetInstanceId?: string;
}

const ARN = /^arn:(aws[a-z-]*):rds:([a-z]{2}(?:-gov)?-[a-z]+-\d):(\d{12}):snapshot:(.+)$/;

/** A snapshot or recovery point ARN must be in the environment's account and region (where the workflow runs). */
function arnCheck(env: Environment, field: string, value: string): Check | undefined {
  const m = ARN.exec(value);
  if (!m) return undefined;
  const [, , region, account] = m;
  const ok = region === env.region && account === env.config.account;
  return {
    ok,
    text: ok
      ? `${field} is in account ${account}, region ${region} (environment ${env.name})`
      : `${field} = ${JSON.stringify(value)}; allowed: an ARN in account ${env.config.account}, region ${env.region} ` +
        `(environment ${env.name}), not account ${account}, region ${region}`,
  };
}

/**
 * What can be checked without AWS against the environment's configuration: the source is this environment's
 * database; ARNs are of its account and region; an automated snapshot's name (`rds:<instance>-…`) is of the source;
 * a time lies in the past and within the configured backup retention.
 */
export function offlineChecks(env: Environment, kind: WorkflowKind, input: StartInput, now: Date): Check[] {
  const checks: Check[] = [];
  const source = input.sourceInstanceId ?? env.sourceInstanceId;
  if (kind === 'restore') {
    const ok = source === env.sourceInstanceId;
    checks.push({
      ok,
      text: ok
        ? `sourceInstanceId is ${source}, the database of environment ${env.name}`
        : `sourceInstanceId = ${JSON.stringify(source)}; allowed: ${env.sourceInstanceId}, the database of environment ${env.name} [--source]`,
    });
  }
  for (const [field, flag, value] of [
    ['snapshotIdentifier', '--snapshot', input.snapshotIdentifier],
    ['recoveryPointArn', '--recovery-point', input.recoveryPointArn],
  ] as const) {
    if (value === undefined) continue;
    const arn = arnCheck(env, field, value);
    if (arn) checks.push({ ...arn, text: arn.ok ? arn.text : `${arn.text} [${flag}]` });
    const name = ARN.exec(value)?.[4] ?? value;
    if (name.startsWith('rds:')) {
      const ok = name.startsWith(`rds:${env.sourceInstanceId}-`);
      checks.push({
        ok,
        text: ok
          ? `${field} is an automated snapshot of ${env.sourceInstanceId}`
          : `${field} = ${JSON.stringify(value)}; allowed: a snapshot of ${env.sourceInstanceId} ` +
            `(automated snapshots are named rds:${env.sourceInstanceId}-YYYY-MM-DD-HH-MM) [${flag}]`,
      });
    }
  }
  if (input.restoreTime !== undefined && input.restoreTime !== 'latest') {
    const time = new Date(input.restoreTime);
    const earliest = new Date(now.getTime() - env.config.database.backupRetentionDays * 86_400_000);
    const ok = time.getTime() <= now.getTime() && time.getTime() >= earliest.getTime();
    checks.push({
      ok,
      text: ok
        ? `restoreTime ${bothZones(time)} is in the past and within ${env.config.database.backupRetentionDays} days of backup retention`
        : `restoreTime = ${JSON.stringify(input.restoreTime)} (${bothZones(time)}); allowed: a time in the past, no ` +
          `earlier than ${bothZones(earliest)} (database.backupRetentionDays ${env.config.database.backupRetentionDays} of ${env.name}) [--time]`,
    });
  }
  return checks;
}

/** Stops the command (exit 2) when a check failed, listing the failures. */
export function requirePassed(what: string, checks: readonly Check[]): void {
  const failed = checks.filter((c) => !c.ok);
  if (failed.length > 0) {
    throw new UsageError(`Invalid ${what}:\n${failed.map((c) => `  - ${c.text}`).join('\n')}`);
  }
}

function notFound(error: unknown, name: string): boolean {
  return (error as Error | undefined)?.name === name;
}

/**
 * The checks that need AWS (read-only calls): the source exists; the snapshot or recovery point exists, is available
 * and is of the source; the time lies in the restorable window; the target id is free. Returns `skipped` with the
 * reason when the CLI cannot reach AWS (no credentials, no network).
 */
export async function awsChecks(
  deps: CliDeps,
  env: Environment,
  kind: WorkflowKind,
  input: StartInput,
): Promise<{ checks: Check[]; skipped?: string }> {
  if (!deps.rds) return { checks: [], skipped: 'no RDS client' };
  const rds = deps.rds(env.region);
  const source = input.sourceInstanceId ?? env.sourceInstanceId;
  const checks: Check[] = [];
  try {
    const described = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: source })).catch((e) => {
      if (notFound(e, 'DBInstanceNotFoundFault')) return undefined;
      throw e;
    });
    const instance = described?.DBInstances?.[0];
    checks.push({
      ok: instance !== undefined,
      text: instance
        ? `source ${source} exists (${instance.DBInstanceStatus})`
        : `sourceInstanceId = ${JSON.stringify(source)}; allowed: an existing instance (none in ${env.region}) [--source]`,
    });
    for (const [field, flag, value] of [
      ['snapshotIdentifier', '--snapshot', input.snapshotIdentifier],
      ['recoveryPointArn', '--recovery-point', input.recoveryPointArn],
    ] as const) {
      if (value === undefined) continue;
      const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: value })).catch((e) => {
        if (notFound(e, 'DBSnapshotNotFoundFault')) return undefined;
        throw e;
      });
      const snapshot = out?.DBSnapshots?.[0];
      const ok = snapshot !== undefined && snapshot.DBInstanceIdentifier === source && snapshot.Status === 'available';
      checks.push({
        ok,
        text: ok
          ? `${field} exists, is available and is of ${source} (taken ${bothZones(snapshot?.SnapshotCreateTime)})`
          : !snapshot
            ? `${field} = ${JSON.stringify(value)}; allowed: an existing snapshot of ${source} (not found in ${env.region}) [${flag}]`
            : snapshot.DBInstanceIdentifier !== source
              ? `${field} = ${JSON.stringify(value)}; allowed: a snapshot of ${source}, not of ${snapshot.DBInstanceIdentifier} [${flag}]`
              : `${field} = ${JSON.stringify(value)}; allowed: an available snapshot, not ${snapshot.Status} [${flag}]`,
      });
    }
    if (input.restoreTime !== undefined && input.restoreTime !== 'latest' && instance) {
      const backups = await rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: source }));
      const earliest = backups.DBInstanceAutomatedBackups?.[0]?.RestoreWindow?.EarliestTime;
      const latest = instance.LatestRestorableTime;
      const time = new Date(input.restoreTime);
      const ok =
        earliest !== undefined && latest !== undefined && time >= earliest && time.getTime() <= latest.getTime();
      checks.push({
        ok,
        text: ok
          ? `restoreTime lies in the restorable window ${bothZones(earliest)} to ${bothZones(latest)}`
          : `restoreTime = ${JSON.stringify(input.restoreTime)}; allowed: a time in the restorable window of ${source}, ` +
            `${bothZones(earliest)} to ${bothZones(latest)} [--time]`,
      });
    }
    if (kind === 'restore' && input.targetInstanceId) {
      const taken = await rds
        .send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: input.targetInstanceId }))
        .then(() => true)
        .catch((e) => {
          if (notFound(e, 'DBInstanceNotFoundFault')) return false;
          throw e;
        });
      checks.push({
        ok: !taken,
        text: taken
          ? `targetInstanceId = ${JSON.stringify(input.targetInstanceId)}; allowed: an identifier no instance uses [--target]`
          : `targetInstanceId ${input.targetInstanceId} is free`,
      });
    }
    return { checks };
  } catch (error) {
    if (failureKind(error) === 'request') throw error;
    return { checks, skipped: `could not reach AWS for ${expectedTarget(env)}: ${describeError(error)}` };
  }
}
