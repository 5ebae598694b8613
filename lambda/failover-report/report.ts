import { z } from 'zod';
import { FAILOVER_METRICS } from '../../contract/metrics.js';
import { parseInput } from '../shared/errors.js';
import { publishReport, type ReportDeps, seconds } from '../shared/reporting.js';

export interface FailoverReportConfig {
  environment: string;
  region: string;
  bucket: string;
  topicArn: string;
  rtoTargetSeconds: number;
  rpoTargetSeconds: number;
  databaseName: string;
}

const stamp = z.object({ at: z.string() }).loose();
const eventSchema = z.object({
  plan: z
    .object({
      mode: z.string(),
      writerInstanceId: z.string(),
      primaryInstanceId: z.string(),
      failureTime: z.string(),
      recoveryPoint: z.string().nullable(),
    })
    .loose(),
  steps: z.object({
    lastReplayed: z.object({ lastReplayedCommit: z.string().nullable() }).loose().nullable(),
    started: stamp.nullable(),
    available: z
      .object({ at: z.string(), endpoint: z.object({ host: z.string(), port: z.number() }).nullable() })
      .loose()
      .nullable(),
    verification: z.object({ ok: z.boolean(), summary: z.string(), verifiedAt: z.string() }).loose().nullable(),
  }),
  // The workflow's "no error yet" may reach here as an empty object (setNull in the local interpreter).
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().nullish(),
  execution: z.object({ Id: z.string(), Name: z.string(), StartTime: z.string() }).loose(),
});

export interface FailoverReport {
  environment: string;
  outcome: 'succeeded' | 'failed';
  mode: string;
  execution: string;
  writer: { instanceId: string; endpoint: string | null; port: number | null };
  /** What applications must change: the DR endpoint differs from the primary's. */
  applicationChanges: string[];
  rto: { totalSeconds: number | undefined; targetSeconds: number; phases: Record<string, number | undefined> };
  rpo: { seconds: number | undefined; targetSeconds: number; basis: string };
  verification: unknown;
  error: { Error: string; Cause?: string | undefined } | null;
  reportedAt: string;
}

export async function reportFailover(
  event: unknown,
  config: FailoverReportConfig,
  deps: ReportDeps,
): Promise<FailoverReport> {
  const e = parseInput(eventSchema, event, 'failover report event');
  const now = deps.now().toISOString();
  const { plan, steps } = e;
  const error = e.error?.Error ? { Error: e.error.Error, Cause: e.error.Cause } : null;
  const ok = error === null && steps.verification?.ok === true;
  // RPO: what the new writer lacks compared with the primary when it was lost.
  const holdsUpTo = plan.mode === 'promote' ? (steps.lastReplayed?.lastReplayedCommit ?? null) : plan.recoveryPoint;
  const rpoSeconds = holdsUpTo === null ? undefined : Math.max(0, seconds(holdsUpTo, plan.failureTime) ?? 0);
  const basis =
    plan.mode === 'promote'
      ? `failure time ${plan.failureTime} minus the standby's last replayed commit ${holdsUpTo ?? 'unknown'}`
      : `failure time ${plan.failureTime} minus the recovery point ${holdsUpTo ?? 'unknown'}`;
  const endpoint = steps.available?.endpoint ?? null;
  const report: FailoverReport = {
    environment: config.environment,
    outcome: ok ? 'succeeded' : 'failed',
    mode: plan.mode,
    execution: e.execution.Id,
    writer: { instanceId: plan.writerInstanceId, endpoint: endpoint?.host ?? null, port: endpoint?.port ?? null },
    applicationChanges: endpoint
      ? [
          `Database host: ${endpoint.host} (port ${endpoint.port}), in ${config.region}; it replaces the primary's endpoint.`,
          `IAM database auth tokens must be signed for region ${config.region} and host ${endpoint.host}.`,
          'TLS stays required (rds.force_ssl); the RDS CA bundle of this region verifies the certificate.',
          `Database name ${config.databaseName} and roles are unchanged (the data came from the primary).`,
        ]
      : [],
    rto: {
      totalSeconds: seconds(e.execution.StartTime, steps.verification?.verifiedAt ?? steps.available?.at),
      targetSeconds: config.rtoTargetSeconds,
      phases: {
        validate: seconds(e.execution.StartTime, steps.started?.at),
        untilAvailable: seconds(steps.started?.at, steps.available?.at),
        verify: seconds(steps.available?.at, steps.verification?.verifiedAt),
      },
    },
    rpo: { seconds: rpoSeconds, targetSeconds: config.rpoTargetSeconds, basis },
    verification: steps.verification,
    error,
    reportedAt: now,
  };
  if (ok) {
    deps.metrics.addMetric(FAILOVER_METRICS.succeeded, 'Count', 1);
    if (report.rto.totalSeconds !== undefined)
      deps.metrics.addMetric(FAILOVER_METRICS.rto, 'Seconds', report.rto.totalSeconds);
    if (rpoSeconds !== undefined) deps.metrics.addMetric(FAILOVER_METRICS.rpo, 'Seconds', rpoSeconds);
  } else {
    deps.metrics.addMetric(FAILOVER_METRICS.failed, 'Count', 1);
  }
  deps.metrics.publishStoredMetrics();
  const key = `failovers/${config.environment}/${e.execution.StartTime.slice(0, 7).replace('-', '/')}/${e.execution.Name}.json`;
  const lines = [
    `Failover (${plan.mode}) of ${plan.primaryInstanceId} in ${config.environment}: ${report.outcome.toUpperCase()}.`,
    `New writer: ${plan.writerInstanceId}${endpoint ? ` at ${endpoint.host}:${endpoint.port}` : ' (no endpoint)'}.`,
    `RTO ${report.rto.totalSeconds ?? 'n/a'} s (target ${config.rtoTargetSeconds} s); RPO ${rpoSeconds ?? 'n/a'} s (target ${config.rpoTargetSeconds} s).`,
    steps.verification ? `Verification: ${steps.verification.summary}` : 'Not verified.',
    ...(error ? [`Error: ${error.Error}: ${error.Cause ?? ''}`] : []),
    ...report.applicationChanges.map((c) => `- ${c}`),
    `Report: s3://${config.bucket}/${key}`,
  ];
  await publishReport(deps, { bucket: config.bucket, key, topicArn: config.topicArn }, report, {
    subject: `authdb-dr ${config.environment} failover ${report.outcome}`,
    message: lines.join('\n'),
  });
  return report;
}
