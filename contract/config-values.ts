// Values that cross from the config (lib/config) to the Lambdas (environment variables): one schema for both sides.
import { z } from 'zod';

/** An RDS DB instance class (`db.t4g.medium`): the one pattern config and Lambdas check it with. */
export const RDS_INSTANCE_CLASS = /^db\.[a-z0-9]+\.[a-z0-9]+$/;
export const instanceClassSchema = z
  .string()
  .regex(RDS_INSTANCE_CLASS, { message: 'allowed: an RDS instance class such as db.t4g.medium' });

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

/** The verified tables as the drill, restore and rewind Lambdas get them (environment variable TABLES, JSON). */
export const verifiedTablesSchema = z.array(verifiedTableSchema).min(1, { message: 'allowed: at least one table' });
export type VerifiedTable = z.infer<typeof verifiedTableSchema>;
