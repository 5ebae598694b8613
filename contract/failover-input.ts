import { z } from 'zod';

/*
 * The failover workflow's input, shared by its control function (lambda/failover-control re-exports it) and the CLI,
 * which validates with the same schema before it starts anything.
 */

const iso = z.iso.datetime({
  offset: true,
  message: 'allowed: an ISO-8601 time with offset, e.g. 2026-05-01T03:00:00Z',
});
const instanceId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, {
    message: 'allowed: 1-63 lowercase letters, digits, hyphens, starting with a letter',
  })
  .refine((v) => !/--|-$/.test(v), { message: 'allowed: no double or trailing hyphen' });

/** The operator's input. */
export const failoverInputSchema = z
  .object({
    mode: z.enum(['promote', 'pitr', 'recovery-point'], {
      message: 'allowed: "promote" (the standby), "pitr" (replicated automated backups) or "recovery-point" (DR vault)',
    }),
    /** Must name the primary instance: the operator says which database they are failing over. */
    confirmSourceInstanceId: z.string(),
    /** When the primary was lost; RPO is measured against it. @default the start of the execution */
    failureTime: iso.optional(),
    /** Mode pitr: a time inside the replicated restore window, or "latest". */
    restoreTime: z.union([z.literal('latest'), iso]).optional(),
    /** Mode recovery-point: a recovery point of the DR vault; @default the newest completed one */
    recoveryPointArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:snapshot:awsbackup:[A-Za-z0-9-]+$/, {
        message: 'allowed: an RDS recovery point ARN of the DR vault (arn:aws:rds:REGION:ACCOUNT:snapshot:awsbackup:…)',
      })
      .optional(),
    /** Modes pitr and recovery-point: the new instance's id. @default authdb-ENV-dr-YYYYMMDDHHMM */
    targetInstanceId: instanceId.optional(),
    instanceClass: z.string().optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();
export type FailoverInput = z.infer<typeof failoverInputSchema>;

/** The plan the failover's first step decides and every later step reads (`$.plan`). Holds no secret. */
export const failoverPlanSchema = z.object({
  mode: failoverInputSchema.shape.mode,
  dryRun: z.boolean(),
  primaryInstanceId: z.string().min(1),
  writerInstanceId: z.string().min(1),
  failureTime: z.string(),
  recoveryPoint: z.string().nullable(),
  source: z.string(),
  useLatestRestorableTime: z.boolean(),
  instanceClass: z.string().nullable(),
  standbyEndpoint: z.object({ host: z.string().min(1), port: z.number().int().positive() }).nullable(),
  maxWaitSeconds: z.number().nonnegative(),
  plannedAt: z.string(),
});
