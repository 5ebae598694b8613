import { z } from 'zod';
import type { ConnectionFactory } from '../shared/db.js';
import type { DrillPlan, Endpoint, VerifyResult } from '../shared/drill.js';
import { parseInput } from '../shared/errors.js';
import {
  compareCounts,
  countRestored,
  countSource,
  countsWithoutComparison,
  type SourceCounts,
  type TableSpec,
  VerificationMismatch,
} from '../shared/row-counts.js';

export interface VerifierConfig {
  tables: TableSpec[];
  settleSeconds: number;
  concurrency: number;
}

export interface VerifierDeps {
  /** Opens connections to the database at `endpoint` as the read-only verifier role. */
  connectTo: (endpoint: Endpoint) => ConnectionFactory;
  now: () => Date;
}

const endpointSchema = z.object({ host: z.string().min(1), port: z.number().int() });
const planSchema = z
  .object({
    mode: z.string(),
    source: endpointSchema,
    snapshot: z.object({ identifier: z.string(), createdAt: z.string() }).optional(),
  })
  .loose();

const eventSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('count-source'),
    plan: planSchema,
    settleBefore: z.iso.datetime({ offset: true }).optional(),
  }),
  z.object({
    action: z.literal('verify'),
    plan: planSchema,
    scratch: z.object({ endpoint: endpointSchema }).loose(),
    sourceCounts: z
      .custom<SourceCounts>((v) => typeof v === 'object' && v !== null && 'countedAt' in v)
      .nullable()
      .optional(),
  }),
]);

/**
 * Counts the source at one instant C (action `count-source`), or counts the restored instance and compares it with
 * the counts taken at C (action `verify`). A mismatch is a result, not an exception, so the workflow can report the
 * counts before it fails.
 */
export async function verifier(
  event: unknown,
  config: VerifierConfig,
  deps: VerifierDeps,
): Promise<SourceCounts | VerifyResult> {
  const parsed = parseInput(eventSchema, event, 'verifier event');
  if (parsed.action === 'count-source') {
    return countSource(deps.connectTo(parsed.plan.source), config.tables, {
      concurrency: config.concurrency,
      settleSeconds: config.settleSeconds,
      settleBefore: parsed.settleBefore,
    });
  }
  const plan = parsed.plan as unknown as DrillPlan;
  const connect = deps.connectTo(parsed.scratch.endpoint);
  if (parsed.sourceCounts) {
    const restored = await countRestored(connect, config.tables, parsed.sourceCounts.settleCutoff, {
      concurrency: config.concurrency,
    });
    const verification = compareCounts(parsed.sourceCounts, restored, config.tables);
    const summary = verification.ok
      ? `${verification.tables.length} tables match the source as of ${verification.countedAt}`
      : new VerificationMismatch(verification).message;
    const complete =
      verification.missingTables.length === 0 && verification.tables.every((t) => t.difference >= -t.tolerance);
    return {
      compared: true,
      ok: verification.ok,
      complete,
      summary,
      verifiedAt: deps.now().toISOString(),
      verification,
    };
  }
  // Restored from a snapshot: no source counts exist for that moment, so the counts are reported only.
  const cutoff = plan.snapshot?.createdAt ?? deps.now().toISOString();
  const report = countsWithoutComparison(await countRestored(connect, config.tables, cutoff, config));
  const summary = report.ok
    ? `${Object.keys(report.tables).length} tables counted (snapshot restore: not compared)`
    : `Tables missing in the restore: ${report.missingTables.join(', ')}`;
  return { compared: false, ok: report.ok, complete: report.ok, summary, verifiedAt: deps.now().toISOString(), report };
}
