import { z } from 'zod';
import { parseInput } from '../../contract/errors.js';
import { REWIND_METRICS } from '../../contract/metrics.js';
import { approvalOf } from '../restore-report/report.js';
import { minutes, publishReport, type ReportDeps, reportKey, seconds } from '../shared/reporting.js';

export interface RewindReportConfig {
  environment: string;
  bucket: string;
  topicArn: string;
  rtoTargetSeconds: number;
  marginSeconds: number;
  productionInstanceId: string;
}

const at = z.object({ at: z.string() }).passthrough();
const state = z.object({
  plan: z.object({
    incidentTime: z.string(),
    replicaInstanceId: z.string(),
    startedAt: z.string(),
    environment: z.string(),
    cutover: z.boolean().optional(),
    preRestoreInstanceId: z.string().optional(),
    approvalRequired: z.boolean().optional(),
    startedBy: z.string().optional(),
  }),
  steps: z
    .object({
      frozen: z.object({ frozenAt: z.string(), at: z.string() }).nullish(),
      target: at.nullish(),
      reboot: at.nullish(),
      reached: z.object({ recoveryPoint: z.string(), at: z.string() }).nullish(),
      promote: at.nullish(),
      promoted: at.nullish(),
      verification: z.object({ ok: z.boolean(), tables: z.record(z.string(), z.unknown()) }).nullish(),
      // The handover to the restore's cutover (only with a confirmed cutover), after a second person's approval.
      approval: z.object({ approvedBy: z.string(), approvedAt: z.string() }).nullish(),
      renameSource: at.nullish(),
      renameTarget: at.nullish(),
      cutOver: at.nullish(),
      rollBack: z.object({ holder: z.enum(['original', 'restored']).optional(), at: z.string() }).nullish(),
    })
    .passthrough(),
  // Initialised empty by the state machine; set by a Catch.
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).nullish(),
  execution: z.object({ Name: z.string(), Id: z.string() }).passthrough(),
});

/**
 * The rewind's report: RTO by phase, the recovery point R against T, the promoted instance and what to do next
 * (the cutover command, or the point-in-time restore when the rewind failed). S3, SNS and metrics.
 */
export async function reportRewind(raw: unknown, config: RewindReportConfig, deps: ReportDeps) {
  const input = parseInput(state, raw, 'rewind state');
  const error = input.error?.Error ? { Error: input.error.Error, Cause: input.error.Cause ?? '' } : undefined;
  const s = { ...input.steps, plan: input.plan, error, execution: input.execution };
  const now = deps.now().toISOString();
  const T = s.plan.incidentTime;
  const R = s.reached?.recoveryPoint;
  const succeeded = !s.error && s.verification?.ok === true;
  const gapSeconds = R ? (Date.parse(T) - Date.parse(R)) / 1000 : undefined;
  const phases = {
    freezeSeconds: seconds(s.plan.startedAt, s.frozen?.at),
    setTargetSeconds: seconds(s.frozen?.at, s.target?.at),
    rebootAndReplaySeconds: seconds(s.target?.at, s.reached?.at),
    promoteSeconds: seconds(s.reached?.at, s.promoted?.at),
    verifySeconds: seconds(s.promoted?.at, s.renameSource?.at ?? now),
    ...(s.renameSource ? { cutoverSeconds: seconds(s.renameSource.at, s.cutOver?.at ?? now) } : {}),
  };
  const totalSeconds = seconds(s.plan.startedAt, now);
  const replica = s.plan.replicaInstanceId;
  const restoreCommand =
    `authdb-dr restore start --env ${config.environment} --source ${config.productionInstanceId} ` +
    `--time <a time before ${T}> --target ${config.productionInstanceId}-restored-<n>`;
  const production = config.productionInstanceId;
  const aside = s.plan.preRestoreInstanceId;
  const newReplica = 'Bump delayedReplica.generation and deploy to get a new delayed replica (README, After a rewind).';
  const approval = s.plan.cutover ? approvalOf({ plan: s.plan, approval: s.approval, error: s.error }) : undefined;
  const notApproved = approval?.outcome === 'timed-out' || approval?.outcome === 'rejected';
  const next = succeeded
    ? s.cutOver
      ? `${production} is now the promoted replica (data as of ${R}, before ${T}), same endpoint. The previous ` +
        `production instance is ${aside}: keep it until the data is confirmed, then delete it by hand. ${newReplica}`
      : `${replica} is promoted and verified (data as of ${R}, before ${T}); production was not cut over (no ` +
        `cutover was confirmed). Point applications at ${replica}, or rename by hand (README, Cutover). ${newReplica}`
    : notApproved
      ? `The cutover was not approved (${s.error?.Error}): production is unchanged, ${production} keeps its name. ` +
        `${replica} is promoted and verified (data as of ${R}, before ${T}): point applications at it, or rename ` +
        `by hand with a second person (README, Cutover). ${newReplica}`
      : `The rewind failed (${s.error?.Error ?? 'verification'}). ${
          s.rollBack
            ? `The cutover was rolled back: ${production} is held by the ${s.rollBack.holder === 'restored' ? `promoted replica (${aside} is the previous production)` : 'original instance'}. `
            : s.renameSource
              ? `The cutover did not complete and its roll-back did not converge: check which instance holds ${production} (README, Cutover). `
              : ''
        }${s.promote ? `${replica} was promoted: inspect it before use. ` : `${replica} was not promoted. `}Use the point-in-time restore: ${restoreCommand}`;
  const report = {
    kind: 'rewind' as const,
    environment: config.environment,
    outcome: succeeded ? ('succeeded' as const) : ('failed' as const),
    ...(s.error ? { error: s.error } : {}),
    execution: { arn: s.execution.Id, name: s.execution.Name, startedAt: s.plan.startedAt },
    incidentTime: T,
    recoveryPoint: R ?? null,
    recoveryGapSeconds: gapSeconds ?? null,
    withinMargin: gapSeconds === undefined ? null : gapSeconds > 0 && gapSeconds <= config.marginSeconds,
    promotedInstanceId: s.promote ? replica : null,
    rto: { targetSeconds: config.rtoTargetSeconds, totalSeconds, ...phases },
    verification: s.verification ?? null,
    cutover: {
      requested: s.plan.cutover === true,
      productionRenamedTo: s.renameSource ? (aside ?? null) : null,
      completed: s.cutOver !== null && s.cutOver !== undefined,
      rolledBack: s.rollBack ? { holder: s.rollBack.holder ?? null, at: s.rollBack.at } : null,
      ...(approval ? { approval } : {}),
    },
    next,
    reportedAt: now,
  };
  const key = reportKey('rewinds', config.environment, s.plan.startedAt, s.execution.Name);
  await publishReport(deps, { bucket: config.bucket, key, topicArn: config.topicArn }, report, {
    subject: `authdb-dr ${config.environment}: rewind ${report.outcome}`,
    message:
      `Rewind to before ${T}: ${report.outcome}. Recovery point ${R ?? 'n/a'} (${gapSeconds ?? 'n/a'} s before T). ` +
      `RTO ${minutes(totalSeconds)} (target ${minutes(config.rtoTargetSeconds)}).\n${next}\nReport: s3://${config.bucket}/${key}`,
  });
  if (totalSeconds !== undefined) deps.metrics.addMetric(REWIND_METRICS.rto, 'Seconds', totalSeconds);
  if (gapSeconds !== undefined) deps.metrics.addMetric(REWIND_METRICS.recoveryGap, 'Seconds', gapSeconds);
  deps.metrics.addMetric(succeeded ? REWIND_METRICS.succeeded : REWIND_METRICS.failed, 'Count', 1);
  deps.metrics.publishStoredMetrics();
  return {
    outcome: report.outcome,
    incidentTime: T,
    recoveryPoint: report.recoveryPoint,
    recoveryGapSeconds: report.recoveryGapSeconds,
    promotedInstanceId: report.promotedInstanceId,
    rtoSeconds: totalSeconds,
    cutover: report.cutover,
    next,
    reportKey: key,
  };
}
