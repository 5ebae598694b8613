/**
 * The restore state machine's state, one zod schema per piece (JSONPath result paths: `$.plan`, `$.restore`, …), as
 * contract/drill-state.ts is for the drill: each Lambda parses the pieces it reads instead of casting them.
 */
import { z } from 'zod';
import {
  endpointSchema,
  instanceStatusSchema,
  sourceCountsSchema,
  stepErrorSchema,
  verifyResultSchema,
} from './drill-state.js';

const time = z.iso.datetime({ offset: true });

/** Settings of the source that the restored instance gets (what the restore API can set at creation). */
export const sourceSettingsSchema = z.object({
  instanceClass: z.string(),
  multiAz: z.boolean(),
  subnetGroupName: z.string(),
  securityGroupIds: z.array(z.string()),
  parameterGroupName: z.string(),
  optionGroupName: z.string().optional(),
  storageType: z.string().optional(),
  backupRetentionDays: z.number(),
  iamAuth: z.boolean(),
  logExports: z.array(z.string()),
  performanceInsightsKmsKeyId: z.string().optional(),
  performanceInsightsRetentionDays: z.number().optional(),
  monitoringIntervalSeconds: z.number().optional(),
  monitoringRoleArn: z.string().optional(),
  masterSecretKmsKeyId: z.string().optional(),
});

/** What validation decided; every later state reads it. Holds no secret. */
export const restorePlanSchema = z.object({
  environment: z.string().min(1),
  mode: z.enum(['point-in-time', 'snapshot', 'recovery-point']),
  sourceInstanceId: z.string().min(1),
  targetInstanceId: z.string().min(1),
  instanceClass: z.string(),
  restoreTime: time.optional(),
  useLatestRestorableTime: z.boolean(),
  snapshot: z.object({ identifier: z.string(), createdAt: time }).optional(),
  source: endpointSchema.nullable(),
  settings: sourceSettingsSchema,
  cutover: z.boolean(),
  preRestoreInstanceId: z.string(),
  executionArn: z.string().min(1),
  executionName: z.string().min(1),
  startedAt: time,
  startedBy: z.string().optional(),
  approvalRequired: z.boolean().optional(),
});

export const restoreStartedSchema = z.object({
  instanceId: z.string(),
  requestedAt: time,
  asOf: time,
  alreadyRequested: z.boolean(),
});

export const cutoverStepSchema = z.object({
  action: z.string(),
  from: z.string(),
  to: z.string(),
  at: time,
  alreadyDone: z.boolean(),
});

/** The whole state, as the report (the last step) reads it. */
export const restoreStateSchema = z.object({
  plan: restorePlanSchema,
  restore: restoreStartedSchema.optional(),
  target: instanceStatusSchema.optional(),
  settings: z
    .object({ appliedAt: time, replication: z.object({ started: z.boolean(), detail: z.string() }) })
    .optional(),
  sourceCounts: sourceCountsSchema.nullable().optional(),
  verification: verifyResultSchema.optional(),
  renameSource: cutoverStepSchema.optional(),
  renameTarget: cutoverStepSchema.optional(),
  rollBack: cutoverStepSchema.optional(),
  approval: z.object({ approvedBy: z.string().optional(), approvedAt: z.string().optional() }).optional(),
  error: stepErrorSchema.optional(),
});
