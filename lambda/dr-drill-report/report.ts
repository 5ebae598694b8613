import type { z } from 'zod';
import { drRegionDrillStateSchema } from '../../contract/drill-state.js';
import { parseInput } from '../../contract/errors.js';
import { DR_REGION_DRILL_METRICS as M } from '../../contract/metrics.js';
import {
  buildReport,
  type DrillReport,
  type ReportConfig,
  type ReportedState,
  summarize,
} from '../drill-report/report.js';
import type { PrimaryCheck } from '../shared/dr-region-drill.js';
import { publishReport, type ReportDeps, reportKey } from '../shared/reporting.js';

export interface DrRegionDrillReport extends Omit<DrillReport, 'kind'> {
  kind: 'dr-region-drill';
  /** Where the drill ran (the DR region) and what it restored from. */
  region: string;
  automatedBackupsArn: string;
  /** Whether the primary region answered; when not, why. */
  primary: PrimaryCheck;
  /**
   * `exact`: the settled rows were compared with the primary counted at C, and the restore went to C.
   * `totals-only`: the primary could not be counted (`reason` says why); the restore went to the latest restorable
   * time and its counts are reported, not compared.
   */
  comparison: { kind: 'exact' | 'totals-only'; reason?: string };
}

type State = ReportedState & z.infer<typeof drRegionDrillStateSchema>;

/** The primary drill's report plus where it ran, whether the primary was reachable, and what was compared. */
export function buildDrReport(state: State, config: ReportConfig, now: Date): DrRegionDrillReport {
  const base = buildReport(state, config, now);
  const { plan } = state;
  const reason = !plan.primary.reachable
    ? plan.primary.reason
    : state.primaryError
      ? `The primary answered in ${plan.primary.region} but could not be counted: ${state.primaryError.Error}: ${state.primaryError.Cause}`
      : undefined;
  const exact = state.sourceCounts?.countedAt !== undefined;
  return {
    ...base,
    kind: 'dr-region-drill',
    region: plan.region,
    automatedBackupsArn: plan.automatedBackupsArn,
    primary: plan.primary,
    comparison: exact ? { kind: 'exact' } : { kind: 'totals-only', reason: reason ?? 'the primary was not counted' },
  };
}

/** Writes the report to the DR-region bucket, publishes the metrics (service `dr-region-drill`) and the summary. */
export async function reportDrRegionDrill(
  event: unknown,
  config: ReportConfig,
  deps: ReportDeps,
): Promise<{ reportKey: string; outcome: string; comparison: string }> {
  const state: State = parseInput(drRegionDrillStateSchema, event, 'report event');
  const report = buildDrReport(state, config, deps.now());
  const key = reportKey('drills', config.environment, report.execution.startedAt, report.execution.name);

  const m = deps.metrics;
  m.addMetric(M.succeeded, 'Count', report.outcome === 'succeeded' ? 1 : 0);
  m.addMetric(M.failed, 'Count', report.outcome === 'failed' ? 1 : 0);
  m.addMetric(M.rpoLag, 'Seconds', report.rpo.lagSeconds);
  m.addMetric(M.primaryUnreachable, 'Count', report.comparison.kind === 'exact' ? 0 : 1);
  if (report.rto.totalSeconds !== undefined) m.addMetric(M.rto, 'Seconds', report.rto.totalSeconds);
  m.publishStoredMetrics();

  const summary = summarize({ ...report, kind: 'dr-drill' }, `s3://${config.bucket}/${key}`);
  const where =
    report.comparison.kind === 'exact'
      ? `Compared exactly with ${report.sourceInstanceId} counted in ${report.primary.region} at the restore time.`
      : `Totals only, not compared: ${report.comparison.reason}`;
  await publishReport(deps, { bucket: config.bucket, key, topicArn: config.topicArn }, report, {
    subject: summary.subject.replace('DR drill', `DR-region drill (${report.region})`).slice(0, 99),
    message: `DR-region drill in ${report.region}, from the replicated automated backups.\n${where}\n${summary.message}`,
  });
  return { reportKey: key, outcome: report.outcome, comparison: report.comparison.kind };
}
