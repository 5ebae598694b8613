import { z } from 'zod';
import { cronExpression } from './backup-schema.js';

const days = (what: string) =>
  z
    .number()
    .int({ message: `allowed: a whole number of days (${what})` })
    .min(1, {
      message: `allowed: at least 1 day (${what})`,
    });

/**
 * Logical backups (strategy 2.1, 4.2): a scheduled `pg_dump -Fc` task whose encrypted archives land in an Object Lock
 * bucket replicated to the DR region. Every field has a default; environments override what differs.
 */
export const logicalBackupSchema = z
  .object({
    /** EventBridge Scheduler cron, in `scheduleTimeZone`: after the 03:00 snapshot window. */
    schedule: cronExpression.default('cron(30 3 * * ? *)'),
    scheduleTimeZone: z.string().min(1).default('Asia/Seoul'),
    /** COMPLIANCE: nobody, not even the account root, can delete a dump before its retention ends. */
    objectLockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('GOVERNANCE'),
    /** Days every dump (and its manifest) is locked, in both regions. */
    retentionDays: days('Object Lock retention').default(7),
    /** Days in S3 Standard before a dump moves to Glacier Flexible Retrieval. */
    standardDays: days('S3 Standard').default(30),
    /** Days after which a dump expires. */
    longTermRetentionDays: days('long-term retention').default(90),
    /** The freshness alarm fires when no dump has been proven restorable for this long. */
    maxAgeHours: z.number().int().min(1).max(168, { message: 'allowed: 1 to 168 hours' }).default(26),
    /** PostgreSQL role the dump connects as (IAM authentication, read-only). */
    dumpRole: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'allowed: a lowercase PostgreSQL role name' })
      .default('authdb_dump'),
    /** Fargate size: pg_dump, the encryption and the throwaway PostgreSQL share it. */
    cpu: z.union([z.literal(1024), z.literal(2048), z.literal(4096)]).default(2048),
    memoryMiB: z.number().int().min(2048).max(30720, { message: 'allowed: 2048 to 30720 MiB' }).default(4096),
    /** Room for the throwaway PostgreSQL that proves the dump: about twice the database's size. */
    ephemeralStorageGiB: z.number().int().min(21).max(200, { message: 'allowed: 21 to 200 GiB (Fargate)' }).default(50),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.longTermRetentionDays <= c.standardDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['longTermRetentionDays'],
        message: `allowed: more than standardDays (${c.standardDays}), so dumps reach Glacier before they expire`,
      });
    }
    if (c.retentionDays > c.longTermRetentionDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['retentionDays'],
        message: `allowed: at most longTermRetentionDays (${c.longTermRetentionDays}): a dump cannot expire while locked`,
      });
    }
    if (c.memoryMiB > c.cpu * 8 || c.memoryMiB < c.cpu * 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['memoryMiB'],
        message: `allowed: ${c.cpu * 2} to ${c.cpu * 8} MiB for cpu ${c.cpu} (Fargate)`,
      });
    }
  })
  .prefault({});

export type LogicalBackupConfig = z.infer<typeof logicalBackupSchema>;
