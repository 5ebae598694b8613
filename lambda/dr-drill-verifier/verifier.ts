import { z } from 'zod';
import { type VerifierConfig, type VerifierDeps, verifier } from '../drill-verifier/verifier.js';
import type { VerifyResult } from '../shared/drill.js';
import { parseInput } from '../shared/errors.js';
import { countRestored, countsWithoutComparison, type SourceCounts } from '../shared/row-counts.js';

const endpointSchema = z.object({ host: z.string().min(1), port: z.number().int() });
/** The Verify state passes the whole workflow state: `sourceCounts` exists only when the primary was counted. */
const stateSchema = z.object({
  plan: z.object({ primary: z.object({ reason: z.string().optional() }).loose() }).loose(),
  scratch: z.object({ endpoint: endpointSchema }).loose(),
  restore: z.object({ requestedAt: z.iso.datetime({ offset: true }) }).loose(),
  sourceCounts: z.object({ countedAt: z.string() }).loose().optional(),
});

/**
 * The primary drill's verifier, for the DR-region drill. `count-source` (the primary at C) and a verification with
 * counts of the primary are that verifier as is: exact comparison of the settled rows, digests, schema. Without
 * counts (the primary region did not answer, or could not be counted) the restore is counted and reported, never
 * compared, and nothing connects to the primary.
 */
export async function drVerifier(
  event: unknown,
  config: VerifierConfig,
  deps: VerifierDeps,
): Promise<SourceCounts | VerifyResult> {
  if (typeof event === 'object' && event !== null && 'action' in event) return verifier(event, config, deps);
  const state = parseInput(stateSchema, event, 'verifier event');
  if (state.sourceCounts) {
    return verifier(
      { action: 'verify', plan: state.plan, scratch: state.scratch, sourceCounts: state.sourceCounts },
      config,
      deps,
    );
  }
  // The rows up to the moment the restore was asked for: the latest restorable time RDS honoured is before it.
  const restored = await countRestored(
    deps.connectTo(state.scratch.endpoint),
    config.tables,
    state.restore.requestedAt,
    config,
  );
  const report = countsWithoutComparison(restored);
  const why = state.plan.primary.reason ?? 'the primary could not be counted';
  const summary = report.ok
    ? `${Object.keys(report.tables).length} tables counted, not compared: ${why}`
    : `Tables missing in the restore: ${report.missingTables.join(', ')}`;
  return { compared: false, ok: report.ok, complete: report.ok, summary, verifiedAt: deps.now().toISOString(), report };
}
