import { drillStateSchema } from '../../contract/drill-state.js';
import { parseInput } from '../../contract/errors.js';
import { DRILL_METRICS } from '../../contract/metrics.js';
import type { DrillPlan, DrillState } from '../shared/drill.js';
import {
  databaseSchemaDifferences,
  type MetricsPort,
  minutes,
  publishReport,
  type ReportDeps,
  reportKey,
  seconds,
  type TableReport,
  tableLines,
  tableReports,
} from '../shared/reporting.js';

export type { MetricsPort, ReportDeps };

export interface ReportConfig {
  environment: string;
  bucket: string;
  topicArn: string;
  rtoTargetSeconds: number;
  rpoTargetSeconds: number;
}

export interface DrillReport {
  kind: 'dr-drill';
  environment: string;
  outcome: 'succeeded' | 'failed';
  error?: { Error: string; Cause: string };
  execution: { arn: string; name: string; startedAt: string };
  mode: string;
  sourceInstanceId: string;
  scratchInstanceId: string;
  restoreTime?: string;
  snapshot?: { identifier: string; createdAt: string };
  rto: {
    targetSeconds: number;
    restoreRequestedAt?: string;
    availableAt?: string;
    verifiedAt?: string;
    /** requested -> available */
    restoreSeconds?: number;
    /** available -> verified */
    verifySeconds?: number;
    /** requested -> verified */
    totalSeconds?: number;
    withinTarget?: boolean;
  };
  rpo: {
    targetSeconds: number;
    latestRestorableTime: string;
    /** now - LatestRestorableTime at preflight: the data a restore right then would have lost. */
    lagSeconds: number;
    /** C - newest row restored: the loss the restored data itself proves. */
    freshnessSeconds?: number;
    withinTarget: boolean;
  };
  verification?: DrillState['verification'];
  /** Per table: source and restored counts, digest match, schema differences, newest row vs the recovery point. */
  tables: TableReport[];
  /** Extensions and roles that differ between the source and the restore. */
  databaseSchemaDifferences: string[];
  mismatchedTables: string[];
  cleanup?: DrillState['cleanup'];
  /** Set when the scratch instance could not be deleted (the sweeper will). */
  cleanupError?: DrillState['cleanupError'];
  reportedAt: string;
}

/** The state a report is built from; the source's endpoint is not needed (the DR-region drill may have none). */
export type ReportedState = Omit<DrillState, 'plan'> & { plan: Omit<DrillPlan, 'source'> };

/** Builds the drill report from the workflow state. Pure. */
export function buildReport(state: ReportedState, config: ReportConfig, now: Date): DrillReport {
  const { plan } = state;
  const verification = state.verification;
  const availableAt = state.scratch?.available ? state.scratch.checkedAt : undefined;
  const requestedAt = state.restore?.requestedAt;
  const verifiedAt = verification?.verifiedAt;
  const totalSeconds = seconds(requestedAt, verifiedAt);
  const recoveryPoint = state.restore?.restoreTime ?? plan.snapshot?.createdAt;
  const tables = tableReports(verification, recoveryPoint);
  const mismatchedTables = tables.filter((t) => !t.ok).map((t) => t.table);
  const freshnessSeconds =
    verification?.compared === true
      ? verification.verification.freshnessSeconds
      : verification?.report.newest && plan.snapshot
        ? seconds(verification.report.newest, plan.snapshot.createdAt)
        : undefined;
  // A drill that leaves its scratch instance behind has not finished cleanly: it fails (CleanupFailed).
  const outcome = !state.error && !state.cleanupError && verification?.ok === true ? 'succeeded' : 'failed';
  const report: DrillReport = {
    kind: 'dr-drill',
    environment: config.environment,
    outcome,
    execution: { arn: plan.executionArn, name: plan.executionName, startedAt: plan.startedAt },
    mode: plan.mode,
    sourceInstanceId: plan.sourceInstanceId,
    scratchInstanceId: plan.scratchInstanceId,
    rto: {
      targetSeconds: config.rtoTargetSeconds,
      restoreRequestedAt: requestedAt,
      availableAt,
      verifiedAt,
      restoreSeconds: seconds(requestedAt, availableAt),
      verifySeconds: seconds(availableAt, verifiedAt),
      totalSeconds,
      withinTarget: totalSeconds === undefined ? undefined : totalSeconds <= config.rtoTargetSeconds,
    },
    rpo: {
      targetSeconds: config.rpoTargetSeconds,
      latestRestorableTime: plan.rpo.latestRestorableTime,
      lagSeconds: plan.rpo.lagSeconds,
      freshnessSeconds,
      withinTarget: plan.rpo.lagSeconds <= config.rpoTargetSeconds,
    },
    verification,
    tables,
    databaseSchemaDifferences: databaseSchemaDifferences(verification),
    mismatchedTables,
    cleanup: state.cleanup,
    reportedAt: now.toISOString(),
  };
  if (state.error) report.error = state.error;
  if (state.cleanupError) report.cleanupError = state.cleanupError;
  if (state.restore?.restoreTime) report.restoreTime = state.restore.restoreTime;
  if (plan.snapshot) report.snapshot = plan.snapshot;
  return JSON.parse(JSON.stringify(report)) as DrillReport;
}

/** A short, readable summary for e-mail. */
export function summarize(report: DrillReport, reportUri: string): { subject: string; message: string } {
  const subject = `[authdb-dr ${report.environment}] DR drill ${report.outcome}: RTO ${minutes(report.rto.totalSeconds)}, RPO lag ${minutes(report.rpo.lagSeconds)}`;
  const lines = [
    `DR drill ${report.outcome} (${report.mode}) for ${report.sourceInstanceId} in ${report.environment}.`,
    report.error ? `Error: ${report.error.Error}: ${report.error.Cause}` : undefined,
    `Execution: ${report.execution.arn}`,
    `RTO: restore ${minutes(report.rto.restoreSeconds)} + verify ${minutes(report.rto.verifySeconds)} = ${minutes(report.rto.totalSeconds)} (target ${minutes(report.rto.targetSeconds)})`,
    `RPO: lag ${minutes(report.rpo.lagSeconds)} (target ${minutes(report.rpo.targetSeconds)}), restored data ${minutes(report.rpo.freshnessSeconds)} older than the restore point`,
    report.verification ? `Verification: ${report.verification.summary}` : 'Verification: not reached',
    ...tableLines(report.tables, report.databaseSchemaDifferences),
    `Scratch instance ${report.scratchInstanceId}: ${cleanupText(report)}`,
    `Report: ${reportUri}`,
  ];
  return { subject: subject.slice(0, 99), message: lines.filter((l) => l !== undefined).join('\n') };
}

function cleanupText(report: DrillReport): string {
  if (report.cleanupError) {
    return `NOT deleted (${report.cleanupError.Error}: ${report.cleanupError.Cause}); the sweeper will retry`;
  }
  return report.cleanup?.action ?? 'cleanup not reached';
}

/** Writes the JSON report to S3, publishes the metrics and sends the summary to the alert topic. */
export async function reportDrill(
  event: unknown,
  config: ReportConfig,
  deps: ReportDeps,
): Promise<{ reportKey: string; outcome: string }> {
  const state: DrillState = parseInput(drillStateSchema, event, 'report event');
  const report = buildReport(state, config, deps.now());
  const key = reportKey('drills', config.environment, report.execution.startedAt, report.execution.name);

  const m = deps.metrics;
  m.addMetric(DRILL_METRICS.succeeded, 'Count', report.outcome === 'succeeded' ? 1 : 0);
  m.addMetric(DRILL_METRICS.failed, 'Count', report.outcome === 'failed' ? 1 : 0);
  m.addMetric(DRILL_METRICS.rpoLag, 'Seconds', report.rpo.lagSeconds);
  m.addMetric(DRILL_METRICS.mismatchedTables, 'Count', report.mismatchedTables.length);
  const optional: [string, number | undefined][] = [
    [DRILL_METRICS.restore, report.rto.restoreSeconds],
    [DRILL_METRICS.verify, report.rto.verifySeconds],
    [DRILL_METRICS.rto, report.rto.totalSeconds],
    [DRILL_METRICS.freshness, report.rpo.freshnessSeconds],
  ];
  for (const [name, value] of optional) {
    if (value !== undefined) m.addMetric(name, 'Seconds', value);
  }
  m.publishStoredMetrics();

  await publishReport(
    deps,
    { bucket: config.bucket, key, topicArn: config.topicArn },
    report,
    summarize(report, `s3://${config.bucket}/${key}`),
  );
  return { reportKey: key, outcome: report.outcome };
}
