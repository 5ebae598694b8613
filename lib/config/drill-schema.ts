import { z } from 'zod';
import { instanceClassSchema as instanceClass, verifiedTablesSchema } from '../../contract/config-values.js';
import { cronExpression } from './backup-schema.js';

export const drillSchema = z
  .object({
    /** EventBridge Scheduler expression, in `scheduleTimeZone`. */
    schedule: cronExpression,
    scheduleTimeZone: z.string().min(1),
    instanceClass,
    maxWaitMinutes: z.number().int().min(15).max(600, { message: 'allowed: 15 to 600 minutes' }),
    pollSeconds: z.number().int().min(10).max(300, { message: 'allowed: 10 to 300 seconds' }),
    /** Longer than any transaction the application keeps open. */
    settleMinutes: z.number().int().min(1).max(60, { message: 'allowed: 1 to 60 minutes' }),
    tables: verifiedTablesSchema,
    /** Read-only database role the verifier logs in as (IAM database authentication). */
    verifierRole: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'allowed: a lowercase PostgreSQL role name' }),
    concurrency: z.number().int().min(1).max(8, { message: 'allowed: 1 to 8 connections' }),
    statementTimeoutSeconds: z.number().int().min(10).max(3600, { message: 'allowed: 10 to 3600 seconds' }),
    reportRetentionDays: z.number().int().min(1),
    /** The sweeper deletes scratch instances older than this that no running drill owns. */
    sweeperMaxAgeHours: z.number().int().min(2).max(72, { message: 'allowed: 2 to 72 hours' }),
  })
  .strict();

export const restoreSchema = z
  .object({
    /** Instance classes an operator may pick for a restored instance (besides the source's own). */
    allowedInstanceClasses: z.array(instanceClass).min(1),
  })
  .strict();

export type DrillConfig = z.infer<typeof drillSchema>;
export type { VerifiedTable } from '../../contract/config-values.js';
