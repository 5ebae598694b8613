import { parseInput } from '../../contract/errors.js';
import { RESTORE_METRICS } from '../../contract/metrics.js';
import { restoreStateSchema } from '../../contract/restore-state.js';
import {
  databaseSchemaDifferences,
  minutes,
  publishReport,
  type ReportDeps,
  reportKey,
  seconds,
  type TableReport,
  tableLines,
  tableReports,
} from '../shared/reporting.js';
import type { RestoreState } from '../shared/restore.js';

export interface RestoreReportConfig {
  environment: string;
  bucket: string;
  topicArn: string;
  rtoTargetSeconds: number;
}

export type RestoreReportDeps = ReportDeps;

export interface RestoreReport {
  kind: 'restore';
  environment: string;
  outcome: 'succeeded' | 'failed';
  error?: { Error: string; Cause: string };
  execution: { arn: string; name: string; startedAt: string };
  mode: string;
  sourceInstanceId: string;
  targetInstanceId: string;
  restoreTime?: string;
  snapshot?: { identifier: string; createdAt: string };
  rto: {
    targetSeconds: number;
    restoreRequestedAt?: string;
    availableAt?: string;
    verifiedAt?: string;
    restoreSeconds?: number;
    totalSeconds?: number;
  };
  settings?: RestoreState['settings'];
  verification?: RestoreState['verification'];
  /** Per table: source and restored counts, digest match, schema differences, newest row vs the recovery point. */
  tables: TableReport[];
  databaseSchemaDifferences: string[];
  /**
   * Rows the source held stamped after the recovery point when the restore was verified: what a cutover leaves in
   * the old instance (`heldBy`), to export as in the README's "Moving rows between instances".
   */
  rowsAfterRecoveryPoint?: { recoveryPoint: string; countedAt?: string; heldBy: string; error?: string };
  cutover: {
    requested: boolean;
    sourceRenamedAt?: string;
    targetRenamedAt?: string;
    rolledBackAt?: string;
    /** Two-person rule: who started the restore and who approved its cutover (or why it was not approved). */
    approval?: {
      required: boolean;
      startedBy?: string;
      approvedBy?: string;
      approvedAt?: string;
      outcome: 'approved' | 'rejected' | 'timed-out' | 'not-reached' | 'not-required';
    };
  };
  /** What an operator does next. */
  next: string;
  reportedAt: string;
}

export function buildRestoreReport(state: RestoreState, config: RestoreReportConfig, now: Date): RestoreReport {
  const { plan } = state;
  const outcome = state.error ? 'failed' : 'succeeded';
  const availableAt = state.target?.available ? state.target.checkedAt : undefined;
  const verifiedAt = state.verification?.verifiedAt;
  const renamed = state.renameTarget !== undefined && state.rollBack === undefined;
  const notApproved = state.error && NOT_APPROVED.has(state.error.Error);
  const next = notApproved
    ? `Production is unchanged: ${plan.sourceInstanceId} keeps its name. The verified instance ` +
      `${plan.targetInstanceId} is kept; point applications at it, or start a new restore with cutover.`
    : state.error
      ? `The instance ${plan.targetInstanceId} is kept and tagged failed; inspect it, then delete it or use it.`
      : plan.cutover
        ? `${plan.sourceInstanceId} is now the restored database; the old one is ${plan.preRestoreInstanceId}. ` +
          'Follow the README "after a cutover" steps.'
        : `Point applications at ${plan.targetInstanceId}, or run again with cutover to take the source's name.`;
  const report: RestoreReport = {
    kind: 'restore',
    environment: config.environment,
    outcome,
    execution: { arn: plan.executionArn, name: plan.executionName, startedAt: plan.startedAt },
    mode: plan.mode,
    sourceInstanceId: plan.sourceInstanceId,
    targetInstanceId: renamed ? plan.sourceInstanceId : plan.targetInstanceId,
    rto: {
      targetSeconds: config.rtoTargetSeconds,
      restoreRequestedAt: state.restore?.requestedAt,
      availableAt,
      verifiedAt,
      restoreSeconds: seconds(state.restore?.requestedAt, availableAt),
      totalSeconds: seconds(state.restore?.requestedAt, verifiedAt),
    },
    settings: state.settings,
    verification: state.verification,
    tables: withRowsAfter(tableReports(state.verification, plan.restoreTime ?? plan.snapshot?.createdAt), state),
    databaseSchemaDifferences: databaseSchemaDifferences(state.verification),
    cutover: {
      requested: plan.cutover,
      sourceRenamedAt: state.renameSource?.at,
      targetRenamedAt: state.renameTarget?.at,
      rolledBackAt: state.rollBack?.at,
      ...(plan.cutover ? { approval: approvalOf(state) } : {}),
    },
    next,
    reportedAt: now.toISOString(),
  };
  const after = state.verification?.rowsAfterRecoveryPoint;
  if (after) {
    report.rowsAfterRecoveryPoint = {
      recoveryPoint: after.recoveryPoint,
      countedAt: after.countedAt,
      heldBy: renamed ? plan.preRestoreInstanceId : plan.sourceInstanceId,
      error: after.error,
    };
  }
  if (state.error) report.error = state.error;
  if (plan.restoreTime) report.restoreTime = plan.restoreTime;
  if (plan.snapshot) report.snapshot = plan.snapshot;
  return JSON.parse(JSON.stringify(report)) as RestoreReport;
}

/** Writes the restore report to S3, publishes its metrics and sends the summary to the alert topic. */
export async function reportRestore(event: unknown, config: RestoreReportConfig, deps: RestoreReportDeps) {
  const state: RestoreState = parseInput(restoreStateSchema, event, 'restore report event');
  const report = buildRestoreReport(state, config, deps.now());
  const key = reportKey('restores', config.environment, report.execution.startedAt, report.execution.name);
  deps.metrics.addMetric(RESTORE_METRICS.succeeded, 'Count', report.outcome === 'succeeded' ? 1 : 0);
  deps.metrics.addMetric(RESTORE_METRICS.failed, 'Count', report.outcome === 'failed' ? 1 : 0);
  if (report.rto.totalSeconds !== undefined)
    deps.metrics.addMetric(RESTORE_METRICS.rto, 'Seconds', report.rto.totalSeconds);
  deps.metrics.publishStoredMetrics();
  const lines = [
    `Restore ${report.outcome} (${report.mode}) of ${report.sourceInstanceId} into ${state.plan.targetInstanceId} in ${report.environment}.`,
    report.error ? `Error: ${report.error.Error}: ${report.error.Cause}` : undefined,
    `Execution: ${report.execution.arn}`,
    `Time: restore ${minutes(report.rto.restoreSeconds)}, to verified ${minutes(report.rto.totalSeconds)} (target ${minutes(config.rtoTargetSeconds)})`,
    report.verification ? `Verification: ${report.verification.summary}` : 'Verification: not reached',
    ...tableLines(report.tables, report.databaseSchemaDifferences),
    ...rowsAfterLines(report, state),
    report.settings ? `Settings applied; replication: ${report.settings.replication.detail}` : undefined,
    `Cutover: ${cutoverText(report.cutover)}`,
    `Next: ${report.next}`,
    `Report: s3://${config.bucket}/${key}`,
  ];
  await publishReport(deps, { bucket: config.bucket, key, topicArn: config.topicArn }, report, {
    subject: `[authdb-dr ${report.environment}] restore ${report.outcome}: ${report.sourceInstanceId} -> ${state.plan.targetInstanceId}`,
    message: lines.filter((l) => l !== undefined).join('\n'),
  });
  return { reportKey: key, outcome: report.outcome };
}

function withRowsAfter(tables: TableReport[], state: RestoreState): TableReport[] {
  const after = state.verification?.rowsAfterRecoveryPoint?.tables ?? [];
  return tables.map((t) => {
    const rows = after.find((a) => a.table === t.table)?.rows;
    return rows === undefined ? t : { ...t, rowsAfterRecoveryPoint: rows };
  });
}

/** Per table: how many rows the old instance holds after the recovery point, and the command that exports them. */
function rowsAfterLines(report: RestoreReport, state: RestoreState): string[] {
  const after = report.rowsAfterRecoveryPoint;
  if (after === undefined) return [];
  const { recoveryPoint, heldBy } = after;
  if (after.error !== undefined) {
    return [`Rows after the recovery point ${recoveryPoint} in ${heldBy}: not counted (${after.error})`];
  }
  const lines = (state.verification?.rowsAfterRecoveryPoint?.tables ?? []).map(({ table, timeColumn, rows }) => {
    if (rows === 'unknown' || timeColumn === undefined) return `  ${table}: unknown (no time column configured)`;
    const filter = `${timeColumn} > '${recoveryPoint}'`;
    if (rows === 0) return `  ${table}: 0 rows with ${filter}`;
    const file = `${table}-after-recovery-point.csv`;
    return (
      `  ${table}: ${rows} rows with ${filter}; export: psql "$FROM" -v ON_ERROR_STOP=1 -c ` +
      `"\\copy (SELECT * FROM ${table} WHERE ${filter}) TO '${file}' WITH (FORMAT csv, HEADER)"`
    );
  });
  return [
    `Rows after the recovery point ${recoveryPoint} in ${heldBy} (counted at ${after.countedAt}; what a cutover ` +
      'leaves behind, FROM = that instance, load them as in the README "Moving rows between instances"):',
    ...lines,
  ];
}

/** Errors that end a restore before its cutover because no second person approved it (nothing was renamed). */
const NOT_APPROVED = new Set(['CutoverNotApproved', 'CutoverRejected']);

/** What the two-person rule decided, from the plan, the CheckApproval result and the error (restore and rewind). */
export interface ApprovalState {
  plan: { approvalRequired?: boolean | undefined; startedBy?: string | undefined };
  approval?: { approvedBy?: string | undefined; approvedAt?: string | undefined } | null | undefined;
  error?: { Error?: string | undefined } | null | undefined;
}

export function approvalOf(state: ApprovalState): NonNullable<RestoreReport['cutover']['approval']> {
  const { plan } = state;
  const required = plan.approvalRequired === true;
  const who = {
    required,
    ...(plan.startedBy ? { startedBy: plan.startedBy } : {}),
    ...(state.approval?.approvedBy ? { approvedBy: state.approval.approvedBy } : {}),
    ...(state.approval?.approvedAt ? { approvedAt: state.approval.approvedAt } : {}),
  };
  if (!required) return { ...who, outcome: 'not-required' };
  if (state.approval?.approvedBy) return { ...who, outcome: 'approved' };
  if (state.error?.Error === 'CutoverNotApproved') return { ...who, outcome: 'timed-out' };
  if (state.error?.Error === 'CutoverRejected') return { ...who, outcome: 'rejected' };
  return { ...who, outcome: 'not-reached' };
}

function cutoverText(c: RestoreReport['cutover']): string {
  if (!c.requested) return 'not requested';
  if (c.approval?.outcome === 'timed-out') return 'not done: no second person approved it in time';
  if (c.approval?.outcome === 'rejected') return 'not done: rejected (authdb-dr restore approve --reject)';
  if (c.rolledBackAt) return `rolled back at ${c.rolledBackAt} (the source has its name again)`;
  if (c.targetRenamedAt) {
    const by = c.approval?.approvedBy ? `, approved by ${c.approval.approvedBy}` : '';
    return `done at ${c.targetRenamedAt}${by}`;
  }
  return 'not done';
}
