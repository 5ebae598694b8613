import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type DBInstance, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import type { Command } from 'commander';
import { standbyInstanceId } from '../../contract/readiness.js';
import { observe } from '../aws.js';
import { type CliDeps, type Environment, EXIT } from '../context.js';
import { type Done, envAction, printReport } from '../env-command.js';
import { formatDuration } from '../format.js';
import { failoverEnvironment } from './failover.js';

/** How far back the newest ReplicaLag point may date (RDS publishes it every minute; CloudWatch shows it late). */
const LAG_WINDOW_MINUTES = 10;

export interface StandbyHealth {
  environment: string;
  region: string;
  instanceId: string;
  exists: boolean;
  status: string | null;
  /** The instance it replicates from; null once promoted (then it is a writer, not a standby). */
  source: string | null;
  /** RDS's "read replication" status info: replicating, error, stopped, terminated. */
  replication: string | null;
  lagSeconds: number | null;
  lagMeasuredAt: string | null;
  rpoTargetSeconds: number;
  healthy: boolean;
  problems: string[];
}

async function describeStandby(deps: CliDeps, env: Environment, id: string): Promise<DBInstance | undefined> {
  if (!deps.rds) throw new Error('this build of the CLI has no RDS client');
  const rds = deps.rds(env.region);
  try {
    const out = await observe(env, `describe ${id}`, () =>
      rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    );
    return out.DBInstances?.[0];
  } catch (error) {
    if ((error as Error | undefined)?.name === 'DBInstanceNotFoundFault') return undefined;
    throw error;
  }
}

/** The newest AWS/RDS ReplicaLag of the standby in the last minutes, or null when there is none. */
async function newestLag(deps: CliDeps, env: Environment, id: string, now: Date) {
  if (!deps.cloudwatch) throw new Error('this build of the CLI has no CloudWatch client');
  const cloudwatch = deps.cloudwatch(env.region);
  const out = await observe(env, `read the ReplicaLag of ${id}`, () =>
    cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - LAG_WINDOW_MINUTES * 60_000),
        EndTime: now,
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'lag',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/RDS',
                MetricName: 'ReplicaLag',
                Dimensions: [{ Name: 'DBInstanceIdentifier', Value: id }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    ),
  );
  const result = out.MetricDataResults?.find((r) => r.Id === 'lag');
  const newest = (result?.Timestamps ?? [])
    .map((at, i) => ({ at, value: result?.Values?.[i] }))
    .filter((p): p is { at: Date; value: number } => typeof p.value === 'number')
    .sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  return newest ? { seconds: Math.round(newest.value), at: newest.at.toISOString() } : null;
}

/** The standby's state, source, replication status and newest lag, against the environment's RPO target. */
export async function standbyHealth(deps: CliDeps, env: Environment, now: Date): Promise<StandbyHealth> {
  const instanceId = standbyInstanceId(env.name);
  const rpoTargetSeconds = env.config.targets.rpoMinutes * 60;
  const base = { environment: env.name, region: env.region, instanceId, rpoTargetSeconds };
  const instance = await describeStandby(deps, env, instanceId);
  if (!instance) {
    const hint = env.config.drSite.standby.enabled
      ? 'it is configured (drSite.standby.enabled): is the stack deployed, or was it promoted and renamed?'
      : `drSite.standby.enabled is false for ${env.name}`;
    return {
      ...base,
      exists: false,
      status: null,
      source: null,
      replication: null,
      lagSeconds: null,
      lagMeasuredAt: null,
      healthy: false,
      problems: [`${instanceId} does not exist in ${env.region} (${hint})`],
    };
  }
  const status = instance.DBInstanceStatus ?? null;
  const source = instance.ReadReplicaSourceDBInstanceIdentifier ?? null;
  const replication = instance.StatusInfos?.find((s) => s.StatusType === 'read replication')?.Status ?? null;
  const lag = await newestLag(deps, env, instanceId, now);
  const problems: string[] = [];
  if (status !== 'available') problems.push(`status is ${status ?? 'unknown'}, not available`);
  if (source === null) problems.push('it replicates from nothing (promoted already?)');
  if (replication !== null && replication !== 'replicating') problems.push(`replication is ${replication}`);
  if (lag === null) {
    problems.push(`no ReplicaLag in the last ${LAG_WINDOW_MINUTES} minutes (replication stopped, or not measured)`);
  } else if (lag.seconds > rpoTargetSeconds) {
    problems.push(
      `lag ${formatDuration(lag.seconds * 1000)} is above the RPO target ${formatDuration(rpoTargetSeconds * 1000)}`,
    );
  }
  return {
    ...base,
    exists: true,
    status,
    source,
    replication,
    lagSeconds: lag?.seconds ?? null,
    lagMeasuredAt: lag?.at ?? null,
    healthy: problems.length === 0,
    problems,
  };
}

function standbyLines(h: StandbyHealth): string[] {
  const rows: [string, string][] = [
    ['Standby', `${h.instanceId} (${h.region}, environment ${h.environment})`],
    ['State', h.status ?? '-'],
    ['Source', h.source ?? '-'],
    ['Replication', h.replication ?? '-'],
    [
      'Lag',
      h.lagSeconds === null
        ? `- (RPO target ${formatDuration(h.rpoTargetSeconds * 1000)})`
        : `${formatDuration(h.lagSeconds * 1000)} at ${h.lagMeasuredAt} (RPO target ${formatDuration(h.rpoTargetSeconds * 1000)})`,
    ],
  ];
  return [
    ...(h.exists ? rows : rows.slice(0, 1)).map(([k, v]) => `${`${k}:`.padEnd(13)}${v}`),
    h.healthy ? 'Healthy: failover start --mode promote is the fast path.' : `NOT HEALTHY: ${h.problems.join('; ')}`,
  ];
}

export function registerStandby(program: Command, deps: CliDeps, done: Done) {
  const standby = program
    .command('standby')
    .description(
      'show the DR-region standby replica (authdb-<env>-standby): state, source, replication, newest lag against ' +
        'the RPO target (exit 1 when not healthy, 3 when it does not exist)',
    );
  envAction(
    standby,
    deps,
    done,
    async (env) => {
      const health = await standbyHealth(deps, env, deps.now());
      printReport(deps, health, () => standbyLines(health));
      if (!health.exists) return EXIT.unobserved;
      return health.healthy ? EXIT.ok : EXIT.failed;
    },
    { environment: (d, flags) => failoverEnvironment(d, flags.env) },
  );
}
