// The environment variables lib/ gives each Lambda function and the function parses at cold start: one schema per
// function (by its folder under lambda/), so a key renamed on one side is a type error or a failed contract test
// (test/contract/env-contract.test.ts), not a broken deploy.
import { z } from 'zod';
import { instanceClassSchema, verifiedTablesSchema } from './config-values.js';
import { cut, describeIssues } from './errors.js';

/** Stands for the variable's name in a value's error message; `parseEnvironment` puts the name in. */
const NAME = '{name}';

/** Any non-empty text: ids, names, ARNs, host names (`parseEnvironment` counts an empty variable as missing). */
const text = z.string().min(1);

/** A whole number written in decimal digits (`String(n)`), e.g. seconds, days, a port. */
const wholeNumber = z.string().transform((value, ctx) => {
  const parsed = Number(value);
  if (/^-?\d+$/.test(value) && Number.isSafeInteger(parsed)) return parsed;
  ctx.addIssue({ code: 'custom', message: `Environment variable ${NAME} must be a whole number, got "${cut(value)}"` });
  return z.NEVER;
});

/** A number of 0 or more, fractions allowed (hours that may be 0.5). */
const nonNegativeNumber = z.string().transform((value, ctx) => {
  const parsed = Number(value);
  if (value.trim() !== '' && Number.isFinite(parsed) && parsed >= 0) return parsed;
  ctx.addIssue({ code: 'custom', message: `Environment variable ${NAME} must be a number >= 0, got "${cut(value)}"` });
  return z.NEVER;
});

/** `true` or `false` exactly: anything else (TRUE, 1, yes) fails rather than silently meaning false. */
const flag = z.string().transform((value, ctx) => {
  if (value === 'true' || value === 'false') return value === 'true';
  ctx.addIssue({ code: 'custom', message: `Environment variable ${NAME} must be true or false, got "${cut(value)}"` });
  return z.NEVER;
});

/** JSON (`JSON.stringify`) parsed with `schema`: a bad value names the variable and what is wrong in it. */
function json<S extends z.ZodType>(schema: S) {
  return z.string().transform((value, ctx): z.output<S> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `Environment variable ${NAME} must be JSON, got ${cut(value)}` });
      return z.NEVER;
    }
    const result = schema.safeParse(parsed);
    if (result.success) return result.data;
    const problems = describeIssues(parsed, result.error.issues).join('; ');
    ctx.addIssue({ code: 'custom', message: `Invalid environment variable ${NAME}: ${problems}` });
    return z.NEVER;
  });
}

const instanceClasses = json(
  z
    .array(instanceClassSchema, { error: 'allowed: a list of RDS instance classes' })
    .min(1, { message: 'allowed: at least one instance class' }),
);
const tables = json(verifiedTablesSchema);

// Shared parts. ENVIRONMENT is set on every workflow function by lib's function factory; where a handler does not
// read it, it is optional here (set, and allowed, but not needed by the handler or its tests).
const environment = { ENVIRONMENT: text };
const environmentUnread = { ENVIRONMENT: text.optional() };
/** Where a report goes, who is told, and the RTO target it judges by. */
const report = { ...environment, REPORT_BUCKET: text, ALERT_TOPIC_ARN: text, RTO_TARGET_SECONDS: wholeNumber };
/** A read-only row-count verifier: which database, as whom, which tables, how hard. */
const verifier = {
  ...environmentUnread,
  DATABASE_NAME: text,
  VERIFIER_USER: text,
  TABLES: tables,
  CONCURRENCY: wholeNumber,
  STATEMENT_TIMEOUT_MS: wholeNumber,
};
/** A drill verifier also counts rows stamped before the settle cutoff. */
const drillVerifier = { ...verifier, SETTLE_SECONDS: wholeNumber };
/** Where a drill puts its scratch instance. */
const scratchRestore = {
  ...environmentUnread,
  DRILL_INSTANCE_CLASS: text,
  DRILL_SUBNET_GROUP: text,
  DRILL_SECURITY_GROUP_ID: text,
  PARAMETER_GROUP: text,
};
/** The STS endpoint identity proofs are signed for and the account their principal must belong to. */
const identity = { STS_HOST: text, ACCOUNT: text };

/** Each function's environment as lib/ sets it, by the function's folder under lambda/. */
export const FUNCTION_ENVIRONMENTS = {
  'drill-preflight': z.object({ ...environment, SOURCE_INSTANCE_ID: text }),
  'drill-verifier': z.object(drillVerifier),
  'drill-restore': z.object(scratchRestore),
  'instance-status': z.object(environmentUnread),
  'drill-report': z.object({ ...report, RPO_TARGET_SECONDS: wholeNumber }),
  'drill-cleanup': z.object(environmentUnread),
  'drill-sweeper': z.object({ ...environment, MAX_AGE_HOURS: wholeNumber }),
  'dr-drill-preflight': z.object({
    ...environment,
    PRIMARY_REGION: text,
    PRIMARY_INSTANCE_ID: text,
    PRIMARY_CHECK_TIMEOUT_MS: wholeNumber,
  }),
  'dr-drill-verifier': z.object({ ...drillVerifier, CONNECT_TIMEOUT_MS: wholeNumber }),
  'dr-drill-restore': z.object(scratchRestore),
  'dr-drill-report': z.object({ ...report, RPO_TARGET_SECONDS: wholeNumber }),
  'dr-drill-age': z.object({ ...environment, STATE_MACHINE_ARN: text }),
  'restore-validate': z.object({
    ...environment,
    SOURCE_INSTANCE_ID: text,
    ALLOWED_INSTANCE_CLASSES: instanceClasses,
    DATA_LOSS_ACK_AFTER_HOURS: nonNegativeNumber,
    APPROVAL_REQUIRED: flag,
    ...identity,
  }),
  'restore-start': z.object(environmentUnread),
  'restore-finish': z.object({
    ...environmentUnread,
    DR_REGION: text,
    DR_KEY_ARN: text,
    REPLICATION_RETENTION_DAYS: wholeNumber,
  }),
  'restore-cutover': z
    .object({
      ...environmentUnread,
      SOURCE_INSTANCE_ID: text,
      STATE_MACHINE_ARN: text,
      // Where a rewind workflow exists, its promoted replica is handed over to this same cutover.
      REWIND_STATE_MACHINE_ARN: text.optional(),
      REWIND_TARGET_INSTANCE_ID: text.optional(),
    })
    .refine((env) => (env.REWIND_STATE_MACHINE_ARN === undefined) === (env.REWIND_TARGET_INSTANCE_ID === undefined), {
      message:
        'Environment variables REWIND_STATE_MACHINE_ARN and REWIND_TARGET_INSTANCE_ID go together: both or neither',
    }),
  'restore-report': z.object(report),
  'restore-approval': z.object({
    ...environment,
    ALERT_TOPIC_ARN: text,
    APPROVAL_TIMEOUT_MINUTES: wholeNumber,
    STATE_MACHINE_ARN: text,
    // Where the environment has a rewind workflow, its cutover waits for the same approval.
    REWIND_STATE_MACHINE_ARN: text.optional(),
    ...identity,
  }),
  'restore-test-validation': z.object({
    ...drillVerifier,
    ...environment,
    RESTORE_TESTING_PLAN_ARN: text,
    SOURCE_HOST: text,
    SOURCE_PORT: wholeNumber,
    MAX_DATA_AGE_SECONDS: wholeNumber,
    ALERT_TOPIC_ARN: text,
  }),
  'rewind-control': z.object({
    ...environment,
    REPLICA_INSTANCE_ID: text,
    REPLICA_PARAMETER_GROUP: text,
    BACKUP_RETENTION_DAYS: wholeNumber,
    REBOOT_TIMEOUT_SECONDS: wholeNumber,
    REPLAY_TIMEOUT_SECONDS: wholeNumber,
    PROMOTE_TIMEOUT_SECONDS: wholeNumber,
    PRODUCTION_INSTANCE_ID: text,
    APPROVAL_REQUIRED: flag,
    ...identity,
  }),
  'rewind-replay': z.object({
    ...environment,
    REPLICA_HOST: text,
    REPLICA_PORT: wholeNumber,
    DATABASE_NAME: text,
    REPLAY_CONTROL_USER: text,
    VERIFIER_USER: text,
    TABLES: tables,
    CONCURRENCY: wholeNumber,
    MARGIN_SECONDS: wholeNumber,
    REPLAY_BYTES_PER_SECOND: wholeNumber,
    REBOOT_ESTIMATE_SECONDS: wholeNumber,
    PROMOTE_ESTIMATE_SECONDS: wholeNumber,
  }),
  'rewind-report': z.object({ ...report, MARGIN_SECONDS: wholeNumber, PRODUCTION_INSTANCE_ID: text }),
  'failover-control': z.object({
    ...environment,
    PRIMARY_INSTANCE_ID: text,
    STANDBY_INSTANCE_ID: text,
    SUBNET_GROUP: text,
    PARAMETER_GROUP: text,
    SECURITY_GROUP_ID: text,
    DR_VAULT_NAME: text,
    INSTANCE_CLASSES: instanceClasses,
    BACKUP_RETENTION_DAYS: wholeNumber,
    PROMOTE_TIMEOUT_SECONDS: wholeNumber,
    RESTORE_TIMEOUT_SECONDS: wholeNumber,
  }),
  'failover-verify': z.object({ ...verifier, MAX_DATA_AGE_SECONDS: wholeNumber }),
  'failover-report': z.object({ ...report, RPO_TARGET_SECONDS: wholeNumber, DATABASE_NAME: text }),
  'readiness-monitor': z.object({
    ...environment,
    PRODUCTION_INSTANCE_ID: text,
    PRODUCTION_INSTANCE_ARN: text,
    DRILL_STATE_MACHINE_ARN: text,
    DR_REGION: text,
    DR_DRILL_LOOKBACK_DAYS: wholeNumber,
    // Only where the environment has a warm standby in the DR region.
    STANDBY_INSTANCE_ID: text.optional(),
  }),
  // Gets everything from the CloudFormation request.
  'verifier-role-bootstrap': z.object({}),
} as const;

export type FunctionEntry = keyof typeof FUNCTION_ENVIRONMENTS;
/** A function's environment as its handler gets it (numbers, booleans and lists parsed). */
export type FunctionEnvironment<E extends FunctionEntry> = z.output<(typeof FUNCTION_ENVIRONMENTS)[E]>;

/** What the Lambda runtime sets: the function's region (also read by the SDK itself). */
export const LAMBDA_RUNTIME = { AWS_REGION: text };
/** A database client: the runtime's region, and a CA bundle other than the runtime's (tests point it at theirs). */
export const DATABASE_CLIENT_RUNTIME = { ...LAMBDA_RUNTIME, CA_BUNDLE_PATH: text.optional() };

/**
 * `env` parsed with `schema`, an empty variable counting as missing; every problem in one error: the variable, its
 * value cut short (see `cut`), what is allowed.
 */
export function parseEnvironment<S extends z.ZodObject>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): z.output<S> {
  const present = Object.fromEntries(
    Object.keys(schema.shape)
      .filter((name) => env[name] !== undefined && env[name] !== '')
      .map((name) => [name, env[name]]),
  );
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    if (issue.code === 'invalid_type' && present[name] === undefined) return `Missing environment variable ${name}`;
    if (issue.message.includes(NAME)) return issue.message.replaceAll(NAME, name);
    return issue.path.length > 0 ? describeIssues(present, [issue]).join('') : issue.message;
  });
  throw new Error(problems.join('; '));
}
