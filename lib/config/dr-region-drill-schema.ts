import { z } from 'zod';
import { cronExpression } from './backup-schema.js';

const whole = (min: number, max: number, unit: string) =>
  z
    .number()
    .int({ message: `allowed: a whole number of ${unit} from ${min} to ${max}` })
    .min(min, { message: `allowed: ${min} to ${max} ${unit}` })
    .max(max, { message: `allowed: ${min} to ${max} ${unit}` });

/**
 * The monthly drill that runs in the DR region: restores the replicated automated backups into a scratch instance
 * there. Instance class, tables, verifier role and timeouts are the primary drill's (`drill`); only what differs is
 * here. The "no successful DR drill" alarm uses `readiness.drDrillMaxAgeDays`.
 */
export const drRegionDrillSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** EventBridge Scheduler expression in `drill.scheduleTimeZone`. @default second Wednesday of the month, 14:00 */
    schedule: cronExpression.default('cron(0 14 ? * 3#2 *)'),
    /**
     * How long the replicated backups may take to become restorable to the instant C the primary was counted at
     * (cross-region log shipping lags the primary's own).
     */
    backupWaitMinutes: whole(5, 120, 'minutes').default(30),
    /** A primary-region DescribeDBInstances slower than this counts as "primary unreachable". */
    primaryCheckTimeoutSeconds: whole(1, 30, 'seconds').default(5),
  })
  .strict();

export type DrRegionDrillConfig = z.infer<typeof drRegionDrillSchema>;
