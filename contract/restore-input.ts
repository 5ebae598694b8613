import { z } from 'zod';
import { recoveryPointArn } from './drill-input.js';
import { cut } from './errors.js';

/** RDS instance identifier rules: a letter first, letters/digits/hyphens, no double hyphen, no trailing hyphen. */
const RDS_IDENTIFIER = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Room for the `-pre-restore-yyyymmddhhmm` suffix a cutover appends to the source's identifier (63 in all). */
export const MAX_SOURCE_ID_LENGTH = 38;
export const CUTOVER_SUFFIX = '-pre-restore-';
/**
 * A restored instance is named `<source>-restored…`: IAM then lets the restore roles create, tag and change only
 * instances of that name (and never tag an existing instance of another name as restored).
 */
export const RESTORED_INFIX = '-restored';
/** A recovery point of AWS Backup (never a manual or automated snapshot) has this in its ARN. */
export const AWS_BACKUP_SNAPSHOT = ':snapshot:awsbackup:';
/** The oldest recovery point AWS Backup keeps here (the monthly tier may be kept up to a year). */
const MAX_DATA_LOSS_HOURS = 24 * 366;

const instanceId = (max: number) =>
  z
    .string()
    .max(max, { message: `allowed: at most ${max} characters` })
    .regex(RDS_IDENTIFIER, {
      message:
        'allowed: lowercase letters, digits and single hyphens, starting with a letter, not ending with a hyphen',
    });

/** ISO-8601 with an explicit zone (Z or ±hh:mm): a zone-less time would be guessed, and a guess is data loss. */
const zonedTime = z.iso.datetime({
  offset: true,
  message: 'allowed: an ISO-8601 time with a zone, e.g. 2026-11-26T02:55:00+09:00 or 2026-11-25T17:55:00Z, or "latest"',
});

/**
 * The restore workflow's input, shared by the state machine's validation and the CLI. Exactly one recovery point:
 * `restoreTime` (a time, or `latest`), `snapshotIdentifier` or `recoveryPointArn`.
 */
export const restoreInputSchema = z
  .object({
    sourceInstanceId: instanceId(MAX_SOURCE_ID_LENGTH),
    restoreTime: z.union([z.literal('latest'), zonedTime]).optional(),
    snapshotIdentifier: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9:-]{0,254}$/, { message: 'allowed: an RDS snapshot identifier' })
      .optional(),
    recoveryPointArn: z.string().min(1).optional(),
    targetInstanceId: instanceId(63),
    instanceClass: z
      .string()
      .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'allowed: an RDS instance class such as db.r6g.large' })
      .optional(),
    cutover: z
      .object({
        confirmSourceInstanceId: z.string(),
        /**
         * Hours of writes the operator accepts to lose: required, and at least the recovery point's age, when the
         * point is older than the environment's `cutover.dataLossAcknowledgementAfterHours`.
         */
        acceptDataLossHours: z
          .number()
          .positive({ message: 'allowed: a positive number of hours' })
          .max(MAX_DATA_LOSS_HOURS, { message: `allowed: at most ${MAX_DATA_LOSS_HOURS} hours` })
          .optional(),
        /**
         * Who starts the cutover, provably: a presigned sts:GetCallerIdentity URL bound to `start:<execution ARN>`
         * (contract/identity-proof.ts). `authdb-dr restore start` adds it; required where a second person approves.
         */
        identityProof: z.string().max(8192, { message: 'allowed: at most 8192 characters' }).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const points = (['restoreTime', 'snapshotIdentifier', 'recoveryPointArn'] as const).filter(
      (k) => input[k] !== undefined,
    );
    if (points.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: points.length === 0 ? ['restoreTime'] : [points[1]!],
        message: 'allowed: exactly one of restoreTime, snapshotIdentifier or recoveryPointArn',
      });
    }
    if (
      input.recoveryPointArn !== undefined &&
      recoveryPointArn.safeParse(input.recoveryPointArn).success &&
      !input.recoveryPointArn.includes(AWS_BACKUP_SNAPSHOT)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['recoveryPointArn'],
        message:
          'allowed: an AWS Backup recovery point (arn:aws:rds:REGION:ACCOUNT:snapshot:awsbackup:job-...); ' +
          'a manual or automated snapshot goes in snapshotIdentifier',
      });
    } else if (input.recoveryPointArn !== undefined && !recoveryPointArn.safeParse(input.recoveryPointArn).success) {
      const kind = /^arn:aws[a-z-]*:([a-z0-9-]+):/.exec(input.recoveryPointArn)?.[1];
      ctx.addIssue({
        code: 'custom',
        path: ['recoveryPointArn'],
        message:
          kind && kind !== 'rds'
            ? `allowed: a recovery point of an RDS database (arn:aws:rds:...:snapshot:awsbackup:...), not of ${kind}`
            : 'allowed: the ARN of an RDS recovery point (arn:aws:rds:REGION:ACCOUNT:snapshot:awsbackup:job-...)',
      });
    }
    if (input.targetInstanceId === input.sourceInstanceId) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetInstanceId'],
        message: 'allowed: a new identifier, not the source (the restore never overwrites; cutover renames)',
      });
    } else if (!input.targetInstanceId.startsWith(`${input.sourceInstanceId}${RESTORED_INFIX}`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetInstanceId'],
        message: `allowed: a new identifier starting with ${cut(input.sourceInstanceId)}${RESTORED_INFIX}, e.g. ${cut(input.sourceInstanceId)}${RESTORED_INFIX}-1`,
      });
    }
    if (input.cutover && input.cutover.confirmSourceInstanceId !== input.sourceInstanceId) {
      ctx.addIssue({
        code: 'custom',
        path: ['cutover', 'confirmSourceInstanceId'],
        message: `allowed: exactly the source instance id (${cut(input.sourceInstanceId)}), to confirm the cutover`,
      });
    }
  });

export type RestoreInput = z.infer<typeof restoreInputSchema>;

/** The identifier the source gets at cutover: `<id>-pre-restore-yyyymmddhhmm`. */
export function preRestoreIdentifier(sourceInstanceId: string, at: string | Date): string {
  const stamp = new Date(at).toISOString().slice(0, 16).replace(/[-T:]/g, '');
  return `${sourceInstanceId}${CUTOVER_SUFFIX}${stamp}`;
}
