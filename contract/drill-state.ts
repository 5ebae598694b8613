/**
 * The drill state machine's state, one zod schema per piece (JSONPath result paths: `$.plan`, `$.restore`, …). Each
 * Lambda parses the pieces it reads instead of casting them: a state that drifted fails with the field named.
 * lambda/shared/drill.ts checks at compile time that these parse into the types the handlers use.
 */
import { z } from 'zod';
import { DRILL_MODES } from './drill-input.js';

const time = z.iso.datetime({ offset: true });

export const endpointSchema = z.object({ host: z.string().min(1), port: z.number().int().positive() });

/** What preflight decides; every later state reads it. Holds no secret. */
export const drillPlanSchema = z.object({
  environment: z.string().min(1),
  mode: z.enum(DRILL_MODES),
  sourceInstanceId: z.string().min(1),
  source: endpointSchema,
  scratchInstanceId: z.string().startsWith('drill-'),
  executionArn: z.string().min(1),
  executionName: z.string().min(1),
  startedAt: time,
  snapshot: z.object({ identifier: z.string(), createdAt: time }).optional(),
  rpo: z.object({ latestRestorableTime: time, lagSeconds: z.number(), measuredAt: time }),
});

export const restoreRequestSchema = z.object({
  instanceId: z.string(),
  requestedAt: time,
  restoreTime: time.optional(),
  alreadyRequested: z.boolean(),
});

export const instanceStatusSchema = z.object({
  instanceId: z.string(),
  status: z.string(),
  available: z.boolean(),
  settled: z.boolean(),
  failed: z.boolean(),
  timedOut: z.boolean(),
  checkedAt: time,
  endpoint: endpointSchema.optional(),
  latestRestorableTime: time.optional(),
  restorable: z.boolean().optional(),
});

const tableCountSchema = z.object({
  total: z.number(),
  settled: z.number().optional(),
  newest: z.string().optional(),
});

const keyRangeSchema = z.object({ from: z.string().nullable(), to: z.string().nullable() });

export const tableDigestsSchema = z.record(
  z.string(),
  z.object({ ranges: z.array(keyRangeSchema.extend({ rows: z.number(), digest: z.string() })) }),
);

export const sourceCountsSchema = z.object({
  countedAt: time,
  settleCutoff: time,
  tables: z.record(z.string(), tableCountSchema),
  digests: tableDigestsSchema.optional(),
});

const schemaDifferenceSchema = z.object({
  kind: z.enum(['table', 'column', 'index', 'constraint', 'extension', 'role']),
  name: z.string(),
  source: z.string().optional(),
  restored: z.string().optional(),
});

const tableVerdictSchema = z.object({
  table: z.string(),
  source: tableCountSchema.optional(),
  restored: tableCountSchema.optional(),
  compared: z.enum(['settled', 'total']),
  tolerance: z.number(),
  difference: z.number(),
  totalDifference: z.number(),
  withinTolerance: z.boolean(),
  digest: z
    .object({
      match: z.boolean(),
      judged: z.boolean(),
      mismatchedRanges: z.array(keyRangeSchema.extend({ sourceRows: z.number(), restoredRows: z.number() })),
      sampleIds: z.array(z.string()).optional(),
      sampleError: z.string().optional(),
    })
    .optional(),
});

const rowsAfterRecoveryPointSchema = z.object({
  recoveryPoint: z.string(),
  countedAt: z.string().optional(),
  tables: z.array(
    z.object({
      table: z.string(),
      timeColumn: z.string().optional(),
      rows: z.union([z.number(), z.literal('unknown')]),
    }),
  ),
  error: z.string().optional(),
});

const verifyOutcome = {
  ok: z.boolean(),
  complete: z.boolean(),
  summary: z.string(),
  verifiedAt: time,
  rowsAfterRecoveryPoint: rowsAfterRecoveryPointSchema.optional(),
};

export const verifyResultSchema = z.discriminatedUnion('compared', [
  z.object({
    ...verifyOutcome,
    compared: z.literal(true),
    verification: z.object({
      ok: z.boolean(),
      countedAt: time,
      settleCutoff: time,
      freshnessSeconds: z.number().optional(),
      tables: z.array(tableVerdictSchema),
      missingTables: z.array(z.string()),
      schemaDifferences: z.array(schemaDifferenceSchema).optional(),
    }),
  }),
  z.object({
    ...verifyOutcome,
    compared: z.literal(false),
    report: z.object({
      ok: z.boolean(),
      compared: z.literal(false),
      cutoff: time,
      newest: z.string().optional(),
      tables: z.record(z.string(), tableCountSchema),
      missingTables: z.array(z.string()),
      schemaDifferences: z.array(schemaDifferenceSchema).optional(),
    }),
  }),
]);

export const cleanupResultSchema = z.object({
  instanceId: z.string(),
  action: z.enum(['deleted', 'already-deleting', 'not-found']),
  at: time,
});

/** What a Catch puts at its ResultPath. */
export const stepErrorSchema = z.object({ Error: z.string(), Cause: z.string() });

/** The whole state, as the report (the last step) reads it. */
export const drillStateSchema = z.object({
  plan: drillPlanSchema,
  sourceCounts: sourceCountsSchema.optional(),
  sourceStatus: instanceStatusSchema.optional(),
  restore: restoreRequestSchema.optional(),
  scratch: instanceStatusSchema.optional(),
  verification: verifyResultSchema.optional(),
  cleanup: cleanupResultSchema.optional(),
  cleanupError: stepErrorSchema.optional(),
  error: stepErrorSchema.optional(),
});

/** The state a report reads where the drill may have no source endpoint (the DR-region drill when the primary is lost). */
export const reportedDrillStateSchema = drillStateSchema.extend({
  plan: drillPlanSchema.extend({ source: endpointSchema.optional() }),
});

/** Whether the primary region answered the DR-region drill, and when not, why. */
export const primaryCheckSchema = z.object({
  reachable: z.boolean(),
  region: z.string(),
  checkedAt: time,
  reason: z.string().optional(),
});

/** The DR-region drill's state: the primary drill's, run from the automated backups replicated to the DR region. */
export const drRegionDrillStateSchema = reportedDrillStateSchema.extend({
  plan: reportedDrillStateSchema.shape.plan.extend({
    mode: z.literal('point-in-time'),
    region: z.string().min(1),
    automatedBackupsArn: z.string().min(1),
    primary: primaryCheckSchema,
  }),
  /** CountSource's error, when the primary answered DescribeDBInstances but could not be counted. */
  primaryError: stepErrorSchema.optional(),
});
