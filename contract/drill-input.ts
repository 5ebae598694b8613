import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DRILL_PREFIX } from './tags.js';

/** What a drill restores from. */
export const DRILL_MODES = ['point-in-time', 'latest-snapshot', 'snapshot', 'recovery-point'] as const;

const snapshotIdentifier = z.string().regex(/^[a-zA-Z][a-zA-Z0-9:-]{0,254}$/, {
  message: 'allowed: an RDS snapshot identifier such as rds:authdb-prod-2026-11-25-18-05',
});

export const recoveryPointArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:rds:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:snapshot:[a-zA-Z][a-zA-Z0-9:-]{0,254}$/, {
    message: 'allowed: the ARN of an RDS recovery point (arn:aws:rds:REGION:ACCOUNT:snapshot:awsbackup:job-...)',
  });

/**
 * What an engineer may pass when starting a drill by hand; `{}` (what the schedule sends) restores the source to
 * the instant its rows were counted.
 */
export const drillInputSchema = z
  .object({
    mode: z
      .enum(DRILL_MODES, {
        message: 'allowed: point-in-time, latest-snapshot, snapshot or recovery-point',
      })
      .default('point-in-time'),
    snapshotIdentifier: snapshotIdentifier.optional(),
    recoveryPointArn: recoveryPointArn.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const needs = { snapshot: 'snapshotIdentifier', 'recovery-point': 'recoveryPointArn' } as const;
    for (const [mode, field] of Object.entries(needs)) {
      if (input.mode === mode && input[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `allowed: required when mode is ${mode}` });
      }
      if (input.mode !== mode && input[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `allowed: only with mode ${mode}` });
      }
    }
  });

export type DrillInput = z.infer<typeof drillInputSchema>;
export type DrillMode = DrillInput['mode'];

/** `$$.Execution` as Step Functions passes it. */
export const executionContextSchema = z.object({
  Id: z.string().regex(/^arn:aws[a-z-]*:states:/),
  Name: z.string().min(1),
  StartTime: z.iso.datetime({ offset: true }),
});
export type ExecutionContext = z.infer<typeof executionContextSchema>;

/**
 * The scratch instance's identifier, derived only from the execution (start minute and a hash of its name), so a
 * retried task finds the instance it already asked for and a second drill never computes the first one's id.
 */
export function scratchInstanceId(startTime: string | Date, executionName: string): string {
  const start = new Date(startTime);
  if (Number.isNaN(start.getTime())) throw new Error(`Invalid execution start time: ${String(startTime)}`);
  const stamp = start.toISOString().slice(0, 16).replace(/[-T:]/g, '');
  const hash = createHash('sha256').update(executionName).digest('hex').slice(0, 8);
  return `${DRILL_PREFIX}${stamp}-${hash}`;
}
