import { z } from 'zod';
import { instanceClassSchema } from '../../contract/config-values.js';

const instanceClass = instanceClassSchema;
const role = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'allowed: a lowercase PostgreSQL role name' });
const wholeRange = (min: number, max: number, unit: string) =>
  z
    .number()
    .int({ message: `allowed: a whole number of ${unit} from ${min} to ${max}` })
    .min(min, { message: `allowed: ${min} to ${max} ${unit}` })
    .max(max, { message: `allowed: ${min} to ${max} ${unit}` });

/** RDS accepts recovery_min_apply_delay from 0 to 86400000 ms (24 hours). */
export const MAX_APPLY_DELAY_MINUTES = 1440;

/**
 * A read replica in the primary region that applies commits `applyDelayMinutes` late: the window in which a bad
 * write can still be undone by the rewind workflow.
 */
export const delayedReplicaSchema = z
  .object({
    enabled: z.boolean(),
    /** recovery_min_apply_delay; at least 15 minutes, so a bad write is still held back when someone notices it. */
    applyDelayMinutes: wholeRange(15, MAX_APPLY_DELAY_MINUTES, 'minutes'),
    instanceClass,
    /**
     * Bumped after a rewind promoted the replica: the next deploy then creates a new replica (and parameter group)
     * and leaves the promoted instance alone.
     */
    generation: wholeRange(1, 99, 'generations'),
    /** Database role that may only pause/resume replay and read its state (IAM authentication). */
    replayControlRole: role,
  })
  .strict();

/** The rewind workflow (bad writes): recovery point R with T − margin <= R < T. */
export const rewindSchema = z
  .object({
    /** R may lie this far before T; the RPO objective of the bad-write path. */
    marginMinutes: wholeRange(1, 5, 'minutes'),
    pollSeconds: wholeRange(5, 120, 'seconds'),
    /** Replaying to T after the reboot: beyond this the workflow stops, the replica held paused. */
    replayTimeoutMinutes: wholeRange(5, 120, 'minutes'),
    /** Promotion and reboot each. */
    promoteTimeoutMinutes: wholeRange(5, 120, 'minutes'),
  })
  .strict();

/** The recovery-readiness monitor. */
export const readinessSchema = z
  .object({
    scheduleMinutes: wholeRange(1, 60, 'minutes'),
    /** An RPO figure above the objective for this many consecutive periods alarms. */
    breachPeriods: wholeRange(1, 60, 'periods'),
    drillMaxAgeDays: wholeRange(1, 35, 'days'),
    drDrillMaxAgeDays: wholeRange(1, 90, 'days'),
    /**
     * Measure the lag of the DR-region standby `authdb-<env>-standby` (and alarm on it): on only where that standby
     * is deployed, or its alarm would breach forever.
     */
    drStandby: z.boolean().default(false),
  })
  .strict();

export type DelayedReplicaConfig = z.infer<typeof delayedReplicaSchema>;
export type RewindConfig = z.infer<typeof rewindSchema>;
export type ReadinessConfig = z.infer<typeof readinessSchema>;
