import { z } from 'zod';
import { cronExpression } from './backup-schema.js';

const identifier = z.string().regex(/^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/, {
  message: 'allowed: a lowercase SQL name, optionally schema.name',
});

const column = z.string().regex(/^[a-z_][a-z0-9_]*$/, { message: 'allowed: a lowercase SQL column name' });

export const verifiedTableSchema = z
  .object({
    name: identifier,
    /** Column stamped when a row is created; rows at or before the settle cutoff must match exactly. */
    timeColumn: identifier.optional(),
    /** Rows the restore may differ by before the drill fails. */
    tolerance: z.number().int().min(0, { message: 'allowed: 0 or more rows' }),
    /** Integer key the content digest splits the table by (unique, indexed). @default 'id' */
    keyColumn: column.optional(),
    /**
     * Columns whose values enter the content digest, e.g. without a `last_seen_at` that changes all the time.
     * @default - every column
     */
    digestColumns: z
      .array(column)
      .min(1, { message: 'allowed: at least one column (omit the field for every column)' })
      .refine((columns) => new Set(columns).size === columns.length, { message: 'allowed: each column once' })
      .optional(),
    /** Key ranges the digest splits the table into (parallel work, and where a mismatch is located). @default 16 */
    digestRanges: z.number().int().min(1).max(1024, { message: 'allowed: 1 to 1024 ranges' }).optional(),
    /** Keys named at most in the report when the digest differs (keys only, never values). @default 5 */
    maxSampleIds: z.number().int().min(0).max(100, { message: 'allowed: 0 to 100 keys' }).optional(),
  })
  .strict();

const instanceClass = z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'allowed: an RDS instance class' });

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
    tables: z.array(verifiedTableSchema).min(1, { message: 'allowed: at least one table' }),
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
export type VerifiedTable = z.infer<typeof verifiedTableSchema>;
