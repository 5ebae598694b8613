import { z } from 'zod';

/**
 * How a restore may cut over to its new instance (rename it into the production instance's place): an explicit
 * acknowledgement of the writes lost when the recovery point is old, and a second person's approval.
 */
export const cutoverSchema = z
  .object({
    /** A cutover to a recovery point older than this needs `cutover.acceptDataLossHours` in the restore input. */
    dataLossAcknowledgementAfterHours: z
      .number()
      .min(0.25)
      .max(24 * 35, { message: 'allowed: 0.25 to 840 hours (the longest restorable window, 35 days)' })
      .default(1),
    /**
     * Two-person rule: a confirmed cutover waits until a principal other than the one who started the restore
     * approves it (`authdb-dr restore approve`). On unless turned off (dev).
     */
    requireApproval: z.boolean().default(true),
    /** Without an approval within this time the restore ends without cutover (the restored instance stays). */
    approvalTimeoutMinutes: z
      .number()
      .int()
      .min(5, { message: 'allowed: 5 to 720 minutes (whole minutes)' })
      .max(720, { message: 'allowed: 5 to 720 minutes (whole minutes; the longer, the longer the restore waits)' })
      .default(60),
  })
  .strict();

export type CutoverConfig = z.infer<typeof cutoverSchema>;
