import { z } from 'zod';
import { resourceName } from '../contract/names.js';
import type { Environment, WorkflowKind } from './context.js';
import { failoverResult } from './failover-result.js';
import { formatDuration, formatMinutes } from './format.js';
import { expectedRows, rewindResult } from './rewind-result.js';
import { bothZones } from './time.js';

/*
 * What a finished execution produced, read from its output: the state the workflows pass along (their last state is
 * a Succeed after the Report task, so the output is the whole state plus `report`). Parsed leniently: every field
 * optional, unknown fields kept, so a workflow that adds fields does not break the CLI.
 */

const endpoint = z.object({ host: z.string(), port: z.number() }).loose();
const count = z.object({ total: z.number(), settled: z.number().optional() }).loose();
const verification = z
  .object({
    ok: z.boolean().optional(),
    complete: z.boolean().optional(),
    summary: z.string().optional(),
    verifiedAt: z.string().optional(),
    compared: z.boolean().optional(),
    verification: z
      .object({
        freshnessSeconds: z.number().optional(),
        missingTables: z.array(z.string()).optional(),
        tables: z
          .array(
            z
              .object({
                table: z.string(),
                source: count.optional(),
                restored: count.optional(),
                compared: z.string().optional(),
                difference: z.number().optional(),
                totalDifference: z.number().optional(),
                withinTolerance: z.boolean().optional(),
              })
              .loose(),
          )
          .optional(),
      })
      .loose()
      .optional(),
    report: z
      .object({
        newest: z.string().optional(),
        missingTables: z.array(z.string()).optional(),
        tables: z.record(z.string(), count).optional(),
      })
      .loose()
      .optional(),
  })
  .loose();
const step = z.object({ at: z.string().optional(), from: z.string().optional(), to: z.string().optional() }).loose();
const snapshot = z.object({ identifier: z.string(), createdAt: z.string().optional() }).loose();
const reportResult = z.object({ reportKey: z.string().optional(), outcome: z.string().optional() }).loose();

export const restoreOutputSchema = z
  .object({
    plan: z
      .object({
        mode: z.string().optional(),
        sourceInstanceId: z.string().optional(),
        targetInstanceId: z.string().optional(),
        restoreTime: z.string().optional(),
        useLatestRestorableTime: z.boolean().optional(),
        snapshot: snapshot.optional(),
        cutover: z.boolean().optional(),
        preRestoreInstanceId: z.string().optional(),
      })
      .loose()
      .optional(),
    restore: z
      .object({ instanceId: z.string().optional(), requestedAt: z.string().optional(), asOf: z.string().optional() })
      .loose()
      .optional(),
    target: z
      .object({ instanceId: z.string().optional(), status: z.string().optional(), endpoint: endpoint.optional() })
      .loose()
      .optional(),
    settings: z
      .object({ replication: z.object({ started: z.boolean(), detail: z.string() }).loose().optional() })
      .loose()
      .optional(),
    verification: verification.optional(),
    renameSource: step.optional(),
    renameTarget: step.optional(),
    rollBack: step.optional(),
    report: reportResult.optional(),
  })
  .loose();

export const drillOutputSchema = z
  .object({
    plan: z
      .object({
        mode: z.string().optional(),
        sourceInstanceId: z.string().optional(),
        scratchInstanceId: z.string().optional(),
        snapshot: snapshot.optional(),
        rpo: z.object({ latestRestorableTime: z.string().optional(), lagSeconds: z.number() }).loose().optional(),
      })
      .loose()
      .optional(),
    restore: z.object({ requestedAt: z.string().optional(), restoreTime: z.string().optional() }).loose().optional(),
    scratch: z.object({ available: z.boolean().optional(), checkedAt: z.string().optional() }).loose().optional(),
    verification: verification.optional(),
    cleanup: z.object({ action: z.string().optional(), at: z.string().optional() }).loose().optional(),
    report: reportResult.optional(),
  })
  .loose();

export interface TableResult {
  table: string;
  source?: number;
  restored?: number;
  compared?: string;
  difference?: number;
  withinTolerance?: boolean;
}

/** The facts an operator needs after an execution, in one shape for text and JSON output. */
export interface ExecutionResult {
  kind: WorkflowKind;
  instanceId?: string;
  endpoint?: string;
  recoveryPoint?: string;
  verification?: { ok?: boolean; complete?: boolean; summary?: string; tables: TableResult[]; missingTables: string[] };
  cutover?: string;
  rto?: { seconds?: number; targetSeconds: number; withinTarget?: boolean };
  rpo?: { lagSeconds?: number; freshnessSeconds?: number; targetSeconds: number; withinTarget?: boolean };
  cleanup?: string;
  /** A rewind's dry run: what it would do, the recovery point R it expects and how long it expects to take. */
  expected?: {
    canRewind: boolean;
    recoveryPoint?: string;
    seconds?: number | null;
    rtoTargetSeconds: number;
    steps: string[];
  };
  /** Where the JSON report is: the key in the bucket of the recovery stack's `ReportBucketName` output (none for a dry run). */
  report?: { key: string; bucket: string };
  next?: string;
  /** The output did not have the expected shape: what zod said (the rest is shown as far as it parsed). */
  unparsed?: string;
}

function seconds(from?: string, to?: string): number | undefined {
  if (!from || !to) return undefined;
  const ms = new Date(to).getTime() - new Date(from).getTime();
  return Number.isNaN(ms) ? undefined : Math.round(ms / 1000);
}

/** `restores/ENV/YYYY/MM/NAME.json`: the key the report Lambdas write (lambda/shared/reporting.ts reportKey). */
export function reportKeyOf(kind: WorkflowKind, env: string, startedAt: Date | undefined, name: string): string {
  const month = (startedAt ?? new Date(0)).toISOString().slice(0, 7).replace('-', '/');
  return `${{ drill: 'drills', restore: 'restores', rewind: 'rewinds', failover: 'failovers', 'dr-region-drill': 'drills' }[kind]}/${env}/${month}/${name}.json`;
}

function tablesOf(v: z.infer<typeof verification> | undefined): TableResult[] {
  if (!v) return [];
  if (v.verification?.tables) {
    return v.verification.tables.map((t) => ({
      table: t.table,
      source: t.compared === 'settled' ? (t.source?.settled ?? t.source?.total) : t.source?.total,
      restored: t.compared === 'settled' ? (t.restored?.settled ?? t.restored?.total) : t.restored?.total,
      compared: t.compared,
      difference: t.difference,
      withinTolerance: t.withinTolerance,
    }));
  }
  return Object.entries(v.report?.tables ?? {}).map(([table, c]) => ({ table, restored: c.total }));
}

function verificationOf(v: z.infer<typeof verification> | undefined): ExecutionResult['verification'] {
  if (!v) return undefined;
  return {
    ok: v.ok,
    complete: v.complete,
    summary: v.summary,
    tables: tablesOf(v),
    missingTables: v.verification?.missingTables ?? v.report?.missingTables ?? [],
  };
}

export interface ExecutionFacts {
  kind: WorkflowKind;
  name: string;
  startDate?: Date;
  /** The execution's output JSON (only a succeeded execution has one). */
  output?: string;
}

/** Reads an execution's output into the result an operator needs; tolerant of missing or added fields. */
export function executionResult(env: Environment, facts: ExecutionFacts): ExecutionResult {
  let raw: unknown = {};
  let unparsed: string | undefined;
  try {
    raw = facts.output ? JSON.parse(facts.output) : {};
  } catch {
    unparsed = 'output is not JSON';
  }
  const base = {
    kind: facts.kind,
    report: {
      key: reportKeyOf(facts.kind, env.name, facts.startDate, facts.name),
      // The DR-region drill writes to the bucket of its own stack, in the DR region (that stack has no such output).
      bucket:
        facts.kind === 'dr-region-drill'
          ? `the report bucket of stack ${resourceName(env.name, 'dr-drill')} (${env.config.drRegion})`
          : `output ReportBucketName of stack ${resourceName(env.name, 'recovery')}`,
    },
  };
  const rtoTarget = env.config.targets.rtoMinutes * 60;
  if (facts.kind === 'rewind') return rewindResult(env, raw, base, unparsed);
  if (facts.kind === 'failover') return failoverResult(env, raw, base, unparsed);
  if (facts.kind === 'restore') {
    const parsed = restoreOutputSchema.safeParse(raw);
    const out = parsed.success ? parsed.data : {};
    if (!parsed.success) unparsed = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    const plan = out.plan;
    const renamed = out.renameTarget?.at !== undefined && out.rollBack === undefined;
    const instanceId = renamed ? plan?.sourceInstanceId : (out.target?.instanceId ?? plan?.targetInstanceId);
    const recoveryPoint = plan?.snapshot
      ? `${plan.mode ?? 'snapshot'} ${plan.snapshot.identifier} (taken ${bothZones(plan.snapshot.createdAt)})`
      : plan?.restoreTime
        ? `point in time ${bothZones(plan.restoreTime)}`
        : out.restore?.asOf
          ? `latest restorable time, ${bothZones(out.restore.asOf)}`
          : undefined;
    const cutover = !plan?.cutover
      ? 'not requested: the source is unchanged; the restored instance runs beside it'
      : out.rollBack
        ? `rolled back at ${bothZones(out.rollBack.at)}: ${plan.sourceInstanceId} is the original instance again`
        : renamed
          ? `done at ${bothZones(out.renameTarget?.at)}: ${plan.sourceInstanceId} is the restored database; the old one is ${plan.preRestoreInstanceId}`
          : 'requested, not done';
    const total = seconds(out.restore?.requestedAt, out.verification?.verifiedAt);
    return {
      ...base,
      instanceId,
      endpoint: out.target?.endpoint ? `${out.target.endpoint.host}:${out.target.endpoint.port}` : undefined,
      recoveryPoint,
      verification: verificationOf(out.verification),
      cutover,
      rto: {
        seconds: total,
        targetSeconds: rtoTarget,
        withinTarget: total === undefined ? undefined : total <= rtoTarget,
      },
      next: renamed
        ? 'Applications keep their endpoint. Follow the README "Cutover" section (DB resource id, master secret, cdk deploy).'
        : plan?.targetInstanceId
          ? `Connect to ${plan.targetInstanceId} (README "Connecting to a restored instance"); copy rows back or cut over.`
          : undefined,
      ...(unparsed ? { unparsed } : {}),
    };
  }
  const parsed = drillOutputSchema.safeParse(raw);
  const out = parsed.success ? parsed.data : {};
  if (!parsed.success) unparsed = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  const rpoTarget = env.config.targets.rpoMinutes * 60;
  const total = seconds(out.restore?.requestedAt, out.verification?.verifiedAt);
  const lag = out.plan?.rpo?.lagSeconds;
  return {
    ...base,
    instanceId: out.plan?.scratchInstanceId,
    recoveryPoint: out.plan?.snapshot
      ? `${out.plan.mode ?? 'snapshot'} ${out.plan.snapshot.identifier} (taken ${bothZones(out.plan.snapshot.createdAt)})`
      : out.restore?.restoreTime
        ? `point in time ${bothZones(out.restore.restoreTime)}`
        : undefined,
    verification: verificationOf(out.verification),
    rto: {
      seconds: total,
      targetSeconds: rtoTarget,
      withinTarget: total === undefined ? undefined : total <= rtoTarget,
    },
    rpo: {
      lagSeconds: lag,
      freshnessSeconds: out.verification?.verification?.freshnessSeconds,
      targetSeconds: rpoTarget,
      withinTarget: lag === undefined ? undefined : lag <= rpoTarget,
    },
    cleanup: out.cleanup?.action
      ? `scratch instance ${out.cleanup.action}${out.cleanup.at ? ` at ${bothZones(out.cleanup.at)}` : ''}`
      : undefined,
    ...(unparsed ? { unparsed } : {}),
  };
}

function verdict(value: number | undefined, target: number, label: string): string {
  if (value === undefined) return `not measured (target ${formatMinutes(target / 60)})`;
  const within = value <= target;
  return `${formatDuration(value * 1000)} ${within ? 'within' : 'OVER'} the ${label} target ${formatMinutes(target / 60)}`;
}

/** The result as labelled lines, for text output. */
export function resultLines(result: ExecutionResult): string[] {
  const rows: [string, string | undefined][] = [];
  const label = {
    restore: 'Restored instance',
    drill: 'Scratch instance',
    'dr-region-drill': 'Scratch instance',
    rewind: 'Rewound instance',
    failover: 'New writer',
  }[result.kind];
  if (result.expected) rows.push(...expectedRows(result.expected));
  rows.push([label, result.instanceId]);
  rows.push(['Endpoint', result.endpoint]);
  rows.push(['Recovery point', result.recoveryPoint]);
  if (result.rto) rows.push(['RTO', verdict(result.rto.seconds, result.rto.targetSeconds, 'RTO')]);
  if (result.rpo) {
    const fresh =
      result.rpo.freshnessSeconds === undefined
        ? ''
        : `; restored data ${formatDuration(result.rpo.freshnessSeconds * 1000)} older than the restore point`;
    rows.push(['RPO', `lag ${verdict(result.rpo.lagSeconds, result.rpo.targetSeconds, 'RPO')}${fresh}`]);
  }
  const v = result.verification;
  if (v) {
    const state = v.ok === true ? 'ok' : v.complete === true ? 'complete' : v.ok === false ? 'FAILED' : '-';
    rows.push(['Verification', `${state}${v.summary ? `: ${v.summary}` : ''}`]);
    if (v.missingTables.length > 0) rows.push(['Missing tables', v.missingTables.join(', ')]);
  } else if (!result.expected) {
    rows.push(['Verification', 'not reached']);
  }
  rows.push(['Cutover', result.cutover]);
  rows.push(['Cleanup', result.cleanup]);
  if (result.report) rows.push(['Report', `${result.report.key} (bucket: ${result.report.bucket})`]);
  rows.push(['Next', result.next]);
  if (result.unparsed) rows.push(['Unread output', result.unparsed]);
  const lines = rows.filter(([, value]) => value !== undefined).map(([k, value]) => `${`${k}:`.padEnd(19)}${value}`);
  if (v && v.tables.length > 0) {
    lines.push('Tables:');
    const head = ['table', 'source', 'restored', 'difference', 'compared'];
    const body = v.tables.map((t) => [
      t.table,
      t.source === undefined ? '-' : String(t.source),
      t.restored === undefined ? '-' : String(t.restored),
      t.difference === undefined ? '-' : String(t.difference),
      `${t.compared ?? 'counted'}${t.withinTolerance === false ? ' OUT OF TOLERANCE' : ''}`,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
    for (const row of [head, ...body]) lines.push(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());
  }
  return lines;
}
