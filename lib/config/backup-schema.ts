import { z } from 'zod';

/** An AWS Backup / EventBridge cron expression: `cron(min hour day-of-month month day-of-week year)`. */
export const cronExpression = z
  .string()
  .regex(/^cron\((\S+ ){5}\S+\)$/, { message: 'allowed: cron(minutes hours day-of-month month day-of-week year)' });

const retention = z.number().int().min(1, { message: 'allowed: at least 1 day' });

/** AWS Backup vault lock. `governance` is a lock without a cooling-off date: it can still be removed. */
export const vaultLockSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('none') }).strict(),
  z.object({ mode: z.literal('governance'), minRetentionDays: retention, maxRetentionDays: retention }).strict(),
  z
    .object({
      mode: z.literal('compliance'),
      minRetentionDays: retention,
      maxRetentionDays: retention,
      /** Days before the lock becomes immutable; AWS requires at least 3. */
      changeableForDays: z.number().int().min(3, { message: 'allowed: at least 3 days (AWS Backup minimum)' }),
    })
    .strict(),
]);

export const backupRuleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,49}$/, { message: 'allowed: letters and digits, e.g. Daily' }),
    /** In `backup.scheduleTimeZone`, not UTC. */
    schedule: cronExpression,
    retentionDays: retention,
    /** Retention of the copy in the DR-region vault. */
    copyRetentionDays: retention,
    startWindowMinutes: z.number().int().min(60, { message: 'allowed: at least 60 minutes (AWS Backup minimum)' }),
    completionWindowMinutes: z.number().int().min(60, { message: 'allowed: at least 60 minutes' }),
  })
  .strict();

export const backupSchema = z
  .object({
    /** IAM role (name) allowed to delete recovery points and change the vault access policy. */
    breakGlassRoleName: z.string().regex(/^[\w+=,.@-]{1,64}$/, { message: 'allowed: an IAM role name' }),
    /** Qualifier of the CDK bootstrap, whose CloudFormation execution role may change the vault policies. */
    cdkBootstrapQualifier: z
      .string()
      .regex(/^[a-z0-9]{1,10}$/, { message: 'allowed: 1-10 lowercase letters or digits' }),
    /** IANA time zone of the rule schedules. */
    scheduleTimeZone: z.string().min(1),
    vaultLock: z.object({ primary: vaultLockSchema, dr: vaultLockSchema }).strict(),
    rules: z.array(backupRuleSchema).min(1, { message: 'allowed: at least one snapshot rule' }),
    restoreTesting: z
      .object({
        schedule: cronExpression,
        instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'allowed: an RDS instance class' }),
        validationWindowHours: z.number().int().min(1).max(168, { message: 'allowed: 1 to 168 hours' }),
      })
      .strict(),
    /** Days the audit reports are kept in their bucket. */
    reportRetentionDays: retention,
  })
  .strict();

export type BackupConfig = z.infer<typeof backupSchema>;
export type VaultLockConfig = z.infer<typeof vaultLockSchema>;
export type BackupRuleConfig = z.infer<typeof backupRuleSchema>;
