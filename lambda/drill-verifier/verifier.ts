import { z } from 'zod';
import { endpointSchema, sourceCountsSchema } from '../../contract/drill-state.js';
import { parseInput } from '../../contract/errors.js';
import type { ConnectionFactory } from '../shared/db.js';
import { DEFAULT_MAX_SAMPLE_IDS, sampleDifferingKeys } from '../shared/digests.js';
import type { Endpoint, VerifyResult } from '../shared/drill.js';
import {
  compareCounts,
  countRestored,
  countRowsAfter,
  countSource,
  countsWithoutComparison,
  type RowsAfterRecoveryPoint,
  type SourceCounts,
  type TableSpec,
  type Verification,
  VerificationMismatch,
  withSchemaCheck,
} from '../shared/row-counts.js';
import { compareSchemas, readSchema, type SchemaFacts } from '../shared/schema-check.js';

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

/** What the verifier reads of the plan: the drill's (DrillPlan) or the restore workflow's, which share these. */
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
    /** Restore only: count the source's rows stamped after this instant (what a cutover leaves behind). */
    recoveryPoint: z.iso.datetime({ offset: true }).optional(),
    sourceCounts: sourceCountsSchema.nullable().optional(),
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
  const names = config.tables.map((t) => t.name);
  if (parsed.action === 'count-source') {
    return countSource(deps.connectTo(parsed.plan.source), config.tables, {
      concurrency: config.concurrency,
      settleSeconds: config.settleSeconds,
      settleBefore: parsed.settleBefore,
      digest: true,
    });
  }
  const connect = deps.connectTo(parsed.scratch.endpoint);
  const restoredSchema = () => schemaOf(connect, names, 'restore');
  if (parsed.sourceCounts) {
    const sourceCounts = parsed.sourceCounts;
    const restored = await countRestored(connect, config.tables, sourceCounts.settleCutoff, {
      concurrency: config.concurrency,
      ...(sourceCounts.digests === undefined ? {} : { digestsOf: sourceCounts.digests }),
    });
    // The source's schema now, not at C: it changes only with a migration, and keeping it out of the workflow state
    // keeps the state small (and free of column names).
    const sourceSchema = await schemaOf(deps.connectTo(parsed.plan.source), names, 'source');
    let verification = compareCounts(sourceCounts, restored, config.tables);
    verification = withSchemaCheck(verification, compareSchemas(sourceSchema, await restoredSchema()));
    await sampleDifferences(verification, config.tables, deps.connectTo(parsed.plan.source), connect);
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
      ...(await rowsAfter(parsed.recoveryPoint, parsed.plan.source, config, deps)),
    };
  }
  // Restored from a snapshot: no source counts exist for that moment, so the counts are reported only.
  const cutoff = parsed.plan.snapshot?.createdAt ?? deps.now().toISOString();
  const report = countsWithoutComparison(await countRestored(connect, config.tables, cutoff, config));
  // No counts of the source at that moment, but the schema can still be compared with the source's.
  report.schemaDifferences = compareSchemas(
    await schemaOf(deps.connectTo(parsed.plan.source), names, 'source'),
    await restoredSchema(),
  );
  if (report.schemaDifferences.length > 0) report.ok = false;
  const summary = report.ok
    ? `${Object.keys(report.tables).length} tables counted (snapshot restore: not compared)`
    : report.missingTables.length > 0
      ? `Tables missing in the restore: ${report.missingTables.join(', ')}`
      : `Schema differs from the source: ${report.schemaDifferences.map((d) => `${d.kind} ${d.name}`).join(', ')}`;
  // A schema difference fails a drill but does not block a restore: a restore to before a migration differs rightly.
  const complete = report.missingTables.length === 0;
  return {
    compared: false,
    ok: report.ok,
    complete,
    summary,
    verifiedAt: deps.now().toISOString(),
    report,
    ...(await rowsAfter(parsed.recoveryPoint, parsed.plan.source, config, deps)),
  };
}

/**
 * The source's rows after the recovery point, for the report. Informational: a source that cannot be counted (the
 * incident) is recorded with its error and never fails the verification.
 */
async function rowsAfter(
  recoveryPoint: string | undefined,
  source: Endpoint,
  config: VerifierConfig,
  deps: VerifierDeps,
): Promise<{ rowsAfterRecoveryPoint?: RowsAfterRecoveryPoint }> {
  if (recoveryPoint === undefined) return {};
  const point = new Date(recoveryPoint).toISOString();
  try {
    return { rowsAfterRecoveryPoint: await countRowsAfter(deps.connectTo(source), config.tables, point) };
  } catch (error) {
    return { rowsAfterRecoveryPoint: { recoveryPoint: point, tables: [], error: (error as Error).message } };
  }
}

async function schemaOf(connect: ConnectionFactory, tables: string[], side: string): Promise<SchemaFacts> {
  const client = await connect();
  try {
    return await readSchema(client, tables);
  } catch (error) {
    throw new Error(`Reading the schema of the ${side} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Names keys whose rows differ, for tables whose digests differ, by bisecting the differing ranges against the
 * source as it is now (the snapshot at C is gone by then: rows changed in the source since C can show up too, which
 * the report says). Diagnostic only: a failure here is recorded in the summary, never hides the mismatch.
 */
async function sampleDifferences(
  v: Verification,
  tables: TableSpec[],
  connectSource: ConnectionFactory,
  connectRestore: ConnectionFactory,
): Promise<void> {
  const differing = v.tables.filter((t) => t.digest !== undefined && !t.digest.match);
  if (differing.length === 0) return;
  const [source, restored] = await Promise.all([connectSource(), connectRestore()]);
  try {
    for (const verdict of differing) {
      const digest = verdict.digest;
      if (digest === undefined) continue;
      const max = tables.find((t) => t.name === verdict.table)?.maxSampleIds ?? DEFAULT_MAX_SAMPLE_IDS;
      const ids: string[] = [];
      for (const range of digest.mismatchedRanges) {
        if (ids.length >= max) break;
        ids.push(
          ...(await sampleDifferingKeys(source, restored, verdict.table, v.settleCutoff, range, max - ids.length)),
        );
      }
      digest.sampleIds = ids;
    }
  } catch (error) {
    for (const verdict of differing) {
      if (verdict.digest && verdict.digest.sampleIds === undefined) {
        verdict.digest.sampleError = (error as Error).message;
      }
    }
  } finally {
    await Promise.allSettled([source.end(), restored.end()]);
  }
}
