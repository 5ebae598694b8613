import { z } from 'zod';
import { resourceName } from '../contract/names.js';
import type { Environment } from './context.js';
import type { ExecutionResult } from './results.js';
import { bothZones } from './time.js';

/*
 * What a failover execution produced: its dry run's plan (which instance would become the writer, from what), or the
 * report of a real failover (the new writer, RTO, RPO, what applications must change). Parsed leniently, like the
 * other workflows' output (lambda/failover-control FailoverPlan, lambda/failover-report FailoverReport).
 */

const planSchema = z
  .object({
    dryRun: z.literal(true),
    mode: z.string(),
    writerInstanceId: z.string(),
    source: z.string(),
    recoveryPoint: z.string().nullish(),
  })
  .loose();

const reportSchema = z
  .object({
    outcome: z.string().optional(),
    mode: z.string().optional(),
    writer: z
      .object({ instanceId: z.string(), endpoint: z.string().nullish(), port: z.number().nullish() })
      .loose()
      .optional(),
    applicationChanges: z.array(z.string()).default([]),
    rto: z.object({ totalSeconds: z.number().optional(), targetSeconds: z.number() }).loose().optional(),
    rpo: z.object({ seconds: z.number().optional(), targetSeconds: z.number(), basis: z.string() }).loose().optional(),
    verification: z.object({ ok: z.boolean().optional(), summary: z.string().optional() }).loose().nullish(),
  })
  .loose();

type Base = Pick<ExecutionResult, 'kind' | 'report'>;

export function failoverResult(env: Environment, raw: unknown, base: Base, unparsed?: string): ExecutionResult {
  const report = {
    key: base.report?.key ?? '',
    bucket: `output ReportBucketName of stack ${resourceName(env.name, 'dr-recovery')}`,
  };
  const issues = (error: z.ZodError) => error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  const plan = planSchema.safeParse(raw);
  if (plan.success) {
    const p = plan.data;
    return {
      kind: base.kind,
      instanceId: p.writerInstanceId,
      recoveryPoint: p.recoveryPoint ? bothZones(p.recoveryPoint) : undefined,
      next:
        `Dry run only, nothing changed: mode ${p.mode} would make ${p.writerInstanceId} the writer, from ${p.source}. ` +
        `Start it without --dry-run.`,
      ...(unparsed ? { unparsed } : {}),
    };
  }
  const parsed = reportSchema.safeParse(raw);
  const out: z.infer<typeof reportSchema> = parsed.success ? parsed.data : { applicationChanges: [] };
  const problem = unparsed ?? (parsed.success ? undefined : issues(parsed.error));
  const { writer, rto, rpo, verification } = out;
  return {
    kind: base.kind,
    report,
    instanceId: writer?.instanceId,
    endpoint: writer?.endpoint ? `${writer.endpoint}:${writer.port ?? 5432}` : undefined,
    recoveryPoint: rpo?.basis,
    ...(verification
      ? { verification: { ok: verification.ok, summary: verification.summary, tables: [], missingTables: [] } }
      : {}),
    ...(rto
      ? {
          rto: {
            seconds: rto.totalSeconds,
            targetSeconds: rto.targetSeconds,
            withinTarget: rto.totalSeconds === undefined ? undefined : rto.totalSeconds <= rto.targetSeconds,
          },
        }
      : {}),
    ...(rpo
      ? {
          rpo: {
            lagSeconds: rpo.seconds,
            targetSeconds: rpo.targetSeconds,
            withinTarget: rpo.seconds === undefined ? undefined : rpo.seconds <= rpo.targetSeconds,
          },
        }
      : {}),
    next:
      out.applicationChanges.length > 0
        ? `Switch clients (README "Region loss"): ${out.applicationChanges.join(' ')}`
        : undefined,
    ...(problem ? { unparsed: problem } : {}),
  };
}
