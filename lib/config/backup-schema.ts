import { z } from 'zod';
import { instanceClassSchema } from '../../contract/config-values.js';

const CRON_SHAPE = 'cron(minutes hours day-of-month month day-of-week year)';
const MONTHS = 'JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC';
const WEEKDAYS = 'SUN|MON|TUE|WED|THU|FRI|SAT';

/** One cron field: `*`, or a comma list of values, ranges and steps whose numbers lie in [min, max]. */
function fieldIsValid(field: string, min: number, max: number, names = '', extra?: RegExp): boolean {
  if (field === '*') return true;
  const value = names ? `(\\d{1,4}|${names})` : '(\\d{1,4})';
  const item = new RegExp(`^(\\*|${value}(-${value})?)(/(\\d{1,4}))?$`, 'i');
  return field.split(',').every((part) => {
    if (extra?.test(part)) return true;
    const m = item.exec(part);
    if (!m) return false;
    const numbers = [m[2], m[4]].filter((n): n is string => n !== undefined && /^\d+$/.test(n)).map(Number);
    const step = m[6] === undefined ? 1 : Number(m[6]);
    return step >= 1 && numbers.every((n) => n >= min && n <= max);
  });
}

/** What is wrong with an AWS Backup / EventBridge cron expression, or undefined when it is well formed. */
export function cronProblem(expression: string): string | undefined {
  const match = /^cron\((.*)\)$/.exec(expression);
  const fields = match ? match[1]!.trim().split(/\s+/) : [];
  if (fields.length !== 6) return `allowed: ${CRON_SHAPE}, six fields separated by spaces`;
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!fieldIsValid(minutes, 0, 59)) return `allowed: minutes 0-59 in ${CRON_SHAPE} (got "${minutes}")`;
  if (!fieldIsValid(hours, 0, 23)) return `allowed: hours 0-23 in ${CRON_SHAPE} (got "${hours}")`;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return (
      `allowed: exactly one of day-of-month / day-of-week as ? in ${CRON_SHAPE} ` +
      `(got "${dayOfMonth}" and "${dayOfWeek}")`
    );
  }
  if (dayOfMonth !== '?' && !fieldIsValid(dayOfMonth, 1, 31, '', /^(L|LW|([1-9]|[12]\d|3[01])W)$/i)) {
    return `allowed: day-of-month 1-31, L, W or ? in ${CRON_SHAPE} (got "${dayOfMonth}")`;
  }
  if (!fieldIsValid(month, 1, 12, MONTHS)) return `allowed: month 1-12 or JAN-DEC in ${CRON_SHAPE} (got "${month}")`;
  if (
    dayOfWeek !== '?' &&
    !fieldIsValid(dayOfWeek, 1, 7, WEEKDAYS, new RegExp(`^([1-7]|${WEEKDAYS})(L|#[1-5])$`, 'i'))
  ) {
    return `allowed: day-of-week 1-7 or SUN-SAT (also L, #) or ? in ${CRON_SHAPE} (got "${dayOfWeek}")`;
  }
  if (!fieldIsValid(year, 1970, 2199)) return `allowed: year 1970-2199 or * in ${CRON_SHAPE} (got "${year}")`;
  return undefined;
}

/** An AWS Backup / EventBridge cron expression: `cron(min hour day-of-month month day-of-week year)`. */
export const cronExpression = z.string().superRefine((expression, ctx) => {
  const problem = cronProblem(expression);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

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

const windowMinutes = z.number().int().min(60, { message: 'allowed: at least 60 minutes (AWS Backup minimum)' });

export const backupRuleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,49}$/, { message: 'allowed: letters and digits, e.g. Daily' }),
    /** In `backup.scheduleTimeZone`, not UTC. */
    schedule: cronExpression,
    retentionDays: retention,
    /** Retention of the copy in the DR-region vault. */
    copyRetentionDays: retention,
    startWindowMinutes: windowMinutes,
    completionWindowMinutes: z.number().int().min(60, { message: 'allowed: at least 60 minutes' }),
  })
  .strict();

/** Name of the continuous-backup rule; snapshot rules may not take it. */
export const CONTINUOUS_RULE_NAME = 'Continuous';

/** A rule or copy that writes into a vault, with the retention it asks for. */
interface Write {
  readonly days: number;
  readonly what: string;
}

/**
 * Adds an issue unless `lock` brackets every retention written into its vault: AWS Backup fails a backup or copy
 * job whose retention is below the lock's minimum or above its maximum.
 */
export function checkLockBracketsWrites(
  ctx: z.RefinementCtx,
  path: PropertyKey[],
  vault: string,
  lock: VaultLockConfig,
  writes: readonly Write[],
): void {
  if (lock.mode === 'none' || writes.length === 0) return;
  const days = writes.map((w) => w.days);
  const describe = (limit: number) =>
    `${limit} days, ${writes
      .filter((w) => w.days === limit)
      .map((w) => w.what)
      .join(', ')}`;
  const shortest = Math.min(...days);
  const longest = Math.max(...days);
  if (lock.minRetentionDays > shortest) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'minRetentionDays'],
      message:
        `allowed: a lock whose minRetentionDays (${lock.minRetentionDays}) is not above the shortest retention ` +
        `written into the ${vault} vault (${describe(shortest)})`,
    });
  }
  if (lock.maxRetentionDays < longest) {
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'maxRetentionDays'],
      message:
        `allowed: a lock whose maxRetentionDays (${lock.maxRetentionDays}) is not below the longest retention ` +
        `written into the ${vault} vault (${describe(longest)})`,
    });
  }
}

/** Retentions the plan writes into the primary vault: the continuous rule (the PITR window) and every snapshot rule. */
export function primaryVaultWrites(backup: BackupConfig, continuousRetentionDays: number): Write[] {
  return [
    { days: continuousRetentionDays, what: 'rule Continuous = database.backupRetentionDays' },
    ...backup.rules.map((r) => ({ days: r.retentionDays, what: `rule ${r.name}` })),
  ];
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

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
    /**
     * The continuous (point-in-time) rule. Its retention is `database.backupRetentionDays`: once AWS Backup covers
     * the instance with continuous backup, RDS accepts no other backup retention, so there is one value only.
     */
    continuous: z
      .object({ schedule: cronExpression, startWindowMinutes: windowMinutes, completionWindowMinutes: windowMinutes })
      .strict(),
    /** Snapshot rules, each copied to the DR-region vault. */
    rules: z.array(backupRuleSchema).min(1, { message: 'allowed: at least one snapshot rule' }),
    restoreTesting: z
      .object({
        schedule: cronExpression,
        instanceClass: instanceClassSchema,
        validationWindowHours: z.number().int().min(1).max(168, { message: 'allowed: 1 to 168 hours' }),
      })
      .strict(),
    /** Days the audit reports are kept in their bucket. */
    reportRetentionDays: retention,
  })
  .strict()
  .superRefine((backup, ctx) => {
    if (!isTimeZone(backup.scheduleTimeZone)) {
      ctx.addIssue({
        code: 'custom',
        path: ['scheduleTimeZone'],
        message: 'allowed: an IANA time zone name such as Asia/Seoul',
      });
    }
    const names = new Set<string>([CONTINUOUS_RULE_NAME]);
    backup.rules.forEach((rule, i) => {
      if (names.has(rule.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `allowed: a name no other rule uses (taken: ${[...names].join(', ')})`,
        });
      }
      names.add(rule.name);
    });
    const windows = [
      { path: ['continuous'], window: backup.continuous },
      ...backup.rules.map((window, i) => ({ path: ['rules', i], window })),
    ];
    for (const { path, window } of windows) {
      if (window.completionWindowMinutes <= window.startWindowMinutes) {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'completionWindowMinutes'],
          message: `allowed: more than startWindowMinutes (${window.startWindowMinutes})`,
        });
      }
    }
    for (const vault of ['primary', 'dr'] as const) {
      const lock = backup.vaultLock[vault];
      if (lock.mode !== 'none' && lock.maxRetentionDays <= lock.minRetentionDays) {
        ctx.addIssue({
          code: 'custom',
          path: ['vaultLock', vault, 'maxRetentionDays'],
          message: `allowed: more than minRetentionDays (${lock.minRetentionDays})`,
        });
      }
    }
    // The DR vault receives only the copies; the primary vault's check needs the database section (schema.ts).
    checkLockBracketsWrites(
      ctx,
      ['vaultLock', 'dr'],
      'DR',
      backup.vaultLock.dr,
      backup.rules.map((r) => ({ days: r.copyRetentionDays, what: `copy of rule ${r.name}` })),
    );
  });

export type BackupConfig = z.infer<typeof backupSchema>;
export type VaultLockConfig = z.infer<typeof vaultLockSchema>;
export type BackupRuleConfig = z.infer<typeof backupRuleSchema>;
