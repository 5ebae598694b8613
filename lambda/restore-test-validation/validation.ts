import {
  type BackupClient,
  DescribeRestoreJobCommand,
  PutRestoreValidationResultCommand,
} from '@aws-sdk/client-backup';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import type { ConnectionFactory } from '../shared/db.js';
import type { Endpoint } from '../shared/drill.js';
import { parseInput } from '../shared/errors.js';
import { compareCounts, countRestored, countSource, type TableSpec } from '../shared/row-counts.js';
import { compareSchemas, describeSchemaDifference, readSchema } from '../shared/schema-check.js';

/**
 * Validates an AWS Backup restore test of the database with our own verifier, then tells AWS Backup the verdict
 * (PutRestoreValidationResult). Three actions, run by a small state machine that waits for the restored instance
 * in between: `describe` (which job, which instance, which recovery point), `validate` (schema, totals and freshness
 * against the recovery point's creation time) and `record` (the verdict, and an alert when it is not SUCCESSFUL).
 */
export interface ValidationConfig {
  environment: string;
  /** Only jobs of this restore testing plan are ours. */
  restoreTestingPlanArn: string;
  /** The production database: its schema and settled rows are what the restore must hold. */
  source: Endpoint;
  tables: TableSpec[];
  settleSeconds: number;
  concurrency: number;
  /** Newest restored row at most this long before the recovery point's creation, or the data is stale. */
  maxDataAgeSeconds: number;
  topicArn: string;
}

export interface ValidationDeps {
  backup: BackupClient;
  sns: SNSClient;
  connectTo: (endpoint: Endpoint) => ConnectionFactory;
  now: () => Date;
}

export interface RestoreTestJob {
  ours: boolean;
  restoreJobId: string;
  instanceId?: string;
  recoveryPointArn?: string;
  /** When the recovery point (snapshot) was taken, ISO-8601. */
  recoveryPointCreatedAt?: string;
  /** When waiting for the instance started. */
  since: string;
}

export interface ValidationOutcome {
  status: 'SUCCESSFUL' | 'FAILED';
  message: string;
}

const restoreJobId = z.string().regex(/^[A-Za-z0-9-]{1,100}$/, { message: 'allowed: an AWS Backup restore job id' });
const describeEvent = z.object({
  action: z.literal('describe'),
  event: z.object({ detail: z.object({ restoreJobId }).loose() }).loose(),
});
const jobSchema = z.object({
  ours: z.literal(true),
  restoreJobId,
  instanceId: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/),
  recoveryPointArn: z.string().optional(),
  recoveryPointCreatedAt: z.iso.datetime({ offset: true }),
  since: z.iso.datetime({ offset: true }),
});
const validateEvent = z.object({
  action: z.literal('validate'),
  job: jobSchema,
  instance: z.object({ endpoint: z.object({ host: z.string().min(1), port: z.number().int() }) }).loose(),
});
/** The whole workflow state: what is set depends on how far it got. */
const recordEvent = z.object({
  action: z.literal('record'),
  state: z
    .object({
      job: z.object({ restoreJobId, instanceId: z.string().optional() }).loose(),
      outcome: z.object({ status: z.enum(['SUCCESSFUL', 'FAILED']), message: z.string() }).optional(),
      /** A Catch's error: the validation could not run (the instance never became reachable, …). */
      error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
      /** The instance never became available within the wait. */
      instance: z.object({ status: z.string(), timedOut: z.boolean(), failed: z.boolean() }).loose().optional(),
    })
    .loose(),
});

/** AWS Backup keeps the message short; ours stays well below any limit. */
const MAX_MESSAGE = 1_000;
const truncate = (text: string) => (text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`);

export async function describeRestoreTest(
  event: unknown,
  config: ValidationConfig,
  deps: ValidationDeps,
): Promise<RestoreTestJob> {
  const e = parseInput(describeEvent, event, 'restore test event');
  const id = e.event.detail.restoreJobId;
  const job = await deps.backup.send(new DescribeRestoreJobCommand({ RestoreJobId: id }));
  const since = deps.now().toISOString();
  if (job.CreatedBy?.RestoreTestingPlanArn !== config.restoreTestingPlanArn) {
    return { ours: false, restoreJobId: id, since };
  }
  const instanceId = /:db:([a-zA-Z][a-zA-Z0-9-]*)$/.exec(job.CreatedResourceArn ?? '')?.[1];
  if (instanceId === undefined || job.RecoveryPointCreationDate === undefined) {
    throw new Error(
      `Restore job ${id} has no restored RDS instance (${job.CreatedResourceArn ?? 'no resource'}) or no recovery point creation date`,
    );
  }
  return {
    ours: true,
    restoreJobId: id,
    instanceId,
    ...(job.RecoveryPointArn ? { recoveryPointArn: job.RecoveryPointArn } : {}),
    recoveryPointCreatedAt: job.RecoveryPointCreationDate.toISOString(),
    since,
  };
}

/**
 * The restored instance against the production database: every configured table present with the same schema;
 * no fewer settled rows (stamped before the recovery point minus the settle window) than the source holds now (rows
 * deleted since can only lower the source's count); the newest restored row close enough to the recovery point.
 */
export async function validateRestoreTest(
  event: unknown,
  config: ValidationConfig,
  deps: ValidationDeps,
): Promise<ValidationOutcome> {
  const e = parseInput(validateEvent, event, 'restore test validation event');
  const restored = deps.connectTo(e.instance.endpoint);
  const source = deps.connectTo(config.source);
  const names = config.tables.map((t) => t.name);
  const createdAt = e.job.recoveryPointCreatedAt;

  const sourceCounts = await countSource(source, config.tables, {
    concurrency: config.concurrency,
    settleSeconds: config.settleSeconds,
    settleBefore: createdAt,
  });
  const restoredCounts = await countRestored(restored, config.tables, sourceCounts.settleCutoff, config);
  const verification = compareCounts(sourceCounts, restoredCounts, config.tables);
  const schema = compareSchemas(await schemaOf(source, names), await schemaOf(restored, names));

  const problems: string[] = [];
  for (const table of verification.tables) {
    if (table.restored === undefined) problems.push(`table ${table.table} missing`);
    else if (table.difference < -table.tolerance) {
      problems.push(
        `${table.table}: ${-table.difference} ${table.compared} rows of the source missing (source ${table.compared === 'settled' ? table.source?.settled : table.source?.total}, restored ${table.compared === 'settled' ? table.restored.settled : table.restored.total})`,
      );
    }
  }
  problems.push(...schema.map((d) => `schema: ${describeSchemaDifference(d)}`));
  const newest = Object.values(restoredCounts.tables)
    .map((t) => t.newest)
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1);
  const ageSeconds = newest === undefined ? undefined : (Date.parse(createdAt) - Date.parse(newest)) / 1000;
  if (ageSeconds === undefined) problems.push('no restored row carries a time: freshness unknown');
  else if (ageSeconds > config.maxDataAgeSeconds) {
    problems.push(
      `stale: newest row ${newest}, ${Math.round(ageSeconds)} s before the recovery point (allowed ${config.maxDataAgeSeconds} s)`,
    );
  }
  const totals = verification.tables.map((t) => `${t.table} ${t.restored?.total ?? 'missing'}`).join(', ');
  if (problems.length > 0) {
    return { status: 'FAILED', message: truncate(`authdb-dr validation FAILED: ${problems.join('; ')}`) };
  }
  return {
    status: 'SUCCESSFUL',
    message: truncate(
      `authdb-dr validation: schema matches, rows: ${totals}; newest row ${Math.round(ageSeconds ?? 0)} s before the recovery point`,
    ),
  };
}

/** Records the verdict with AWS Backup; anything but SUCCESSFUL also goes to the alert topic. */
export async function recordRestoreTest(
  event: unknown,
  config: ValidationConfig,
  deps: ValidationDeps,
): Promise<ValidationOutcome & { restoreJobId: string }> {
  const e = parseInput(recordEvent, event, 'restore test record event').state;
  const outcome: ValidationOutcome = e.outcome ?? {
    status: 'FAILED',
    message: truncate(
      e.instance?.timedOut || e.instance?.failed
        ? `authdb-dr validation FAILED: the restored instance ${e.job.instanceId ?? ''} never became available (status ${e.instance.status})`
        : `authdb-dr validation FAILED: could not validate: ${e.error?.Error ?? 'unknown error'}: ${e.error?.Cause ?? ''}`,
    ),
  };
  await deps.backup.send(
    new PutRestoreValidationResultCommand({
      RestoreJobId: e.job.restoreJobId,
      ValidationStatus: outcome.status,
      ValidationStatusMessage: outcome.message,
    }),
  );
  if (outcome.status !== 'SUCCESSFUL') {
    await deps.sns.send(
      new PublishCommand({
        TopicArn: config.topicArn,
        Subject: `[authdb-dr ${config.environment}] restore test validation FAILED`.slice(0, 99),
        Message: `Restore job ${e.job.restoreJobId}: ${outcome.message}`,
      }),
    );
  }
  return { ...outcome, restoreJobId: e.job.restoreJobId };
}

async function schemaOf(connect: ConnectionFactory, tables: string[]) {
  const client = await connect();
  try {
    return await readSchema(client, tables);
  } finally {
    await client.end().catch(() => {});
  }
}
