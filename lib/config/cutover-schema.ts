import { z } from 'zod';

/**
 * How a restore may cut over to its new instance (rename it into the production instance's place): an explicit
 * acknowledgement of the writes lost when the recovery point is old. (A second person's approval is issue 8,
 * finding 7: its settings belong here.)
 */
export const cutoverSchema = z
  .object({
    /** A cutover to a recovery point older than this needs `cutover.acceptDataLossHours` in the restore input. */
    dataLossAcknowledgementAfterHours: z
      .number()
      .min(0.25)
      .max(24 * 35, { message: 'allowed: 0.25 to 840 hours (the longest restorable window, 35 days)' })
      .default(1),
  })
  .strict();

export type CutoverConfig = z.infer<typeof cutoverSchema>;
