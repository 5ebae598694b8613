import { z } from 'zod';

/**
 * How a restore may cut over to its new instance (rename it into the production instance's place): a second
 * person's approval, and an explicit acknowledgement of the writes lost when the recovery point is old.
 */
export const cutoverSchema = z
  .object({
    /** A cutover waits for `authdb-dr restore approve` by a principal other than the one who started it. */
    requireApproval: z.boolean().default(true),
    /** Without an approval by then, the restore ends without cutover (the restored instance is kept). */
    approvalTimeoutMinutes: z
      .number()
      .int()
      .min(5)
      .max(1440, { message: 'allowed: 5 to 1440 minutes (one day)' })
      .default(60),
    /** A cutover to a recovery point older than this needs `cutover.acceptDataLossHours` in the restore input. */
    dataLossAcknowledgementAfterHours: z
      .number()
      .min(0.25)
      .max(24 * 35, { message: 'allowed: 0.25 to 840 hours (the longest restorable window, 35 days)' })
      .default(1),
  })
  .strict();

export type CutoverConfig = z.infer<typeof cutoverSchema>;
