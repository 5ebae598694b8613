import { z } from 'zod';

/**
 * An IAM user or role, by ARN. A whole account (`:root`) or a wildcard is refused: the point of the break-glass role is
 * that a few named people, not every administrator of an account, can assume it.
 */
const TRUSTED_PRINCIPAL = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(user|role)\/[\w+=,.@/-]{1,512}$/;

/** Who may assume the break-glass role the app creates (`backup.breakGlassRoleName`), with MFA. */
export const breakGlassSchema = z
  .object({
    /** ARNs of the IAM users or roles that may assume the break-glass role, each only with MFA. */
    trustedPrincipalArns: z
      .array(
        z.string().regex(TRUSTED_PRINCIPAL, {
          message:
            'allowed: the ARN of an IAM user or role, e.g. arn:aws:iam::123456789012:user/NAME (no account root, no wildcard)',
        }),
      )
      .min(1, { message: 'allowed: at least one IAM user or role ARN' })
      .refine((arns) => new Set(arns).size === arns.length, { message: 'allowed: each ARN once' }),
    /** Longest session of the role, in hours. @default 1 */
    maxSessionHours: z
      .number()
      .int({ message: 'allowed: a whole number of hours from 1 to 12' })
      .min(1, { message: 'allowed: 1 to 12 hours' })
      .max(12, { message: 'allowed: 1 to 12 hours' })
      .default(1),
  })
  .strict();

export type BreakGlassConfig = z.infer<typeof breakGlassSchema>;
