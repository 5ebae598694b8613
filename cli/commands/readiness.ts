import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Command } from 'commander';
import { type ReadinessFigure, readinessFigures } from '../../contract/readiness.js';
import { observe } from '../aws.js';
import { type CliDeps, type Environment, EXIT } from '../context.js';
import { type Done, envAction, printReport } from '../env-command.js';
import { formatDuration } from '../format.js';

export interface ReadinessRow {
  key: string;
  label: string;
  /** The newest value in the window, or null when there is none (the monitor is not measuring: as bad as a breach). */
  valueSeconds: number | null;
  measuredAt: string | null;
  thresholdSeconds: number;
  state: 'ok' | 'OVER' | 'MISSING';
}

/** How far back a figure may date: three measuring periods, at least 10 minutes (CloudWatch shows points late). */
function windowMinutes(env: Environment): number {
  return Math.max(10, 3 * env.config.readiness.scheduleMinutes);
}

/** The newest value of every readiness figure, in one GetMetricData call, against its alarm's threshold. */
export async function readReadiness(
  cloudwatch: CloudWatchClient,
  env: Environment,
  now: Date,
): Promise<ReadinessRow[]> {
  const figures = readinessFigures({ ...env.config, name: env.name });
  const out = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now.getTime() - windowMinutes(env) * 60_000),
      EndTime: now,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: figures.map((f, i) => ({
        Id: `f${i}`,
        MetricStat: {
          Metric: {
            Namespace: f.namespace,
            MetricName: f.metricName,
            Dimensions: Object.entries(f.dimensions).map(([Name, Value]) => ({ Name, Value })),
          },
          Period: 60,
          Stat: 'Maximum',
        },
      })),
    }),
  );
  return figures.map((f: ReadinessFigure, i) => {
    const result = out.MetricDataResults?.find((r) => r.Id === `f${i}`);
    const newest = (result?.Timestamps ?? [])
      .map((at, j) => ({ at, value: result?.Values?.[j] }))
      .filter((p): p is { at: Date; value: number } => typeof p.value === 'number')
      .sort((a, b) => b.at.getTime() - a.at.getTime())[0];
    const value = newest ? Math.round(newest.value) : null;
    return {
      key: f.key,
      label: f.label,
      valueSeconds: value,
      measuredAt: newest ? newest.at.toISOString() : null,
      thresholdSeconds: f.thresholdSeconds,
      state: value === null ? 'MISSING' : value > f.thresholdSeconds ? 'OVER' : 'ok',
    };
  });
}

function shown(seconds: number): string {
  return seconds >= 86_400 * 2 ? `${(seconds / 86_400).toFixed(1)}d` : formatDuration(seconds * 1000);
}

export function readinessLines(env: Environment, rows: ReadinessRow[]): string[] {
  const head = ['figure', 'now', 'target', 'state'];
  const body = rows.map((r) => [
    r.label,
    r.valueSeconds === null ? '-' : shown(r.valueSeconds),
    `<= ${shown(r.thresholdSeconds)}`,
    r.state,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const bad = rows.filter((r) => r.state !== 'ok');
  return [
    `Recovery readiness of ${env.name} (${env.config.primaryRegion}): newest figure of the last ${windowMinutes(env)} minutes`,
    ...[head, ...body].map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    ),
    bad.length === 0
      ? 'Every figure is within its objective.'
      : `${bad.length} figure(s) OVER their objective or MISSING (a missing figure means the monitor is not ` +
        `measuring it): ${bad.map((r) => r.key).join(', ')}`,
  ];
}

export function registerReadiness(program: Command, deps: CliDeps, done: Done) {
  const readiness = program
    .command('readiness')
    .description(
      'print the recovery-readiness table: every figure the readiness alarms watch, now, against its objective ' +
        '(exit 1 when any is above it or missing)',
    );
  envAction(readiness, deps, done, async (env) => {
    if (!deps.cloudwatch) throw new Error('this build of the CLI has no CloudWatch client');
    const cloudwatch = deps.cloudwatch(env.config.primaryRegion);
    const now = deps.now();
    const rows = await observe(env, 'read the readiness metrics', () => readReadiness(cloudwatch, env, now));
    const ok = rows.every((r) => r.state === 'ok');
    printReport(deps, { environment: env.name, at: now.toISOString(), ok, figures: rows }, () =>
      readinessLines(env, rows),
    );
    return ok ? EXIT.ok : EXIT.failed;
  });
}
