import { z } from 'zod';
import { type VerifierConfig, type VerifierDeps, verifier } from '../drill-verifier/verifier.js';
import type { VerifyResult } from '../shared/drill.js';
import { parseInput } from '../shared/errors.js';
import { countRestored, countsWithoutComparison, type SourceCounts } from '../shared/row-counts.js';

const endpointSchema = z.object({ host: z.string().min(1), port: z.number().int() });
const totalsOnlySchema = z.object({
  action: z.literal('verify'),
  plan: z.object({ primary: z.object({ reason: z.string().optional() }).loose() }).loose(),
  scratch: z.object({ endpoint: endpointSchema, checkedAt: z.string() }).loose(),
  restore: z.object({ requestedAt: z.string() }).loose(),
  sourceCounts: z.null().optional(),
});

/**
 * The primary drill's verifier, for the DR-region drill. With counts of the primary at C it is that verifier as is
 * (exact comparison of the settled rows, digests, schema). Without them (the primary region did not answer, or could
 * not be counted) the restore is counted and reported, never compared, and nothing connects to the primary.
 */
export async function drVerifier(
  event: unknown,
  config: VerifierConfig,
  deps: VerifierDeps,
): Promise<SourceCounts | VerifyResult> {
  const hasCounts =
    typeof event === 'object' && event !== null && (event as { sourceCounts?: unknown }).sourceCounts != null;
  if ((event as { action?: unknown } | null)?.action !== 'verify' || hasCounts) return verifier(event, config, deps);

  const e = parseInput(totalsOnlySchema, event, 'verifier event');
  // The rows up to the moment the restore was asked for: the latest restorable time RDS honoured is before it.
  const restored = await countRestored(
    deps.connectTo(e.scratch.endpoint),
    config.tables,
    e.restore.requestedAt,
    config,
  );
  const report = countsWithoutComparison(restored);
  const why = e.plan.primary.reason ?? 'the primary could not be counted';
  const summary = report.ok
    ? `${Object.keys(report.tables).length} tables counted, not compared: ${why}`
    : `Tables missing in the restore: ${report.missingTables.join(', ')}`;
  return {
    compared: false,
    ok: report.ok,
    complete: report.ok,
    summary,
    verifiedAt: deps.now().toISOString(),
    report,
  };
}
