import {
  AddTagsToResourceCommand,
  ModifyDBInstanceCommand,
  type RDSClient,
  StartDBInstanceAutomatedBackupsReplicationCommand,
} from '@aws-sdk/client-rds';
import { z } from 'zod';
import { parseInput } from '../shared/errors.js';
import { describeInstance } from '../shared/rds-instances.js';
import { TAG_STATUS } from '../shared/tags.js';

export interface FinishConfig {
  /** Automated backups of the restored instance are replicated there, like the source's. */
  drRegion: string;
  drKeyArn: string;
  replicationRetentionDays: number;
}

export interface FinishDeps {
  rds: RDSClient;
  /** A client in the DR region: replication is started from the destination region. */
  drRds: RDSClient;
  now: () => Date;
}

/** The part of the plan (lambda/shared/restore.ts, RestorePlan) this step reads, parsed rather than cast. */
const settingsSchema = z
  .object({
    backupRetentionDays: z.number().int().min(0),
    performanceInsightsKmsKeyId: z.string().optional(),
    performanceInsightsRetentionDays: z.number().int().optional(),
    monitoringIntervalSeconds: z.number().int().optional(),
    monitoringRoleArn: z.string().optional(),
  })
  .loose();

const eventSchema = z.object({
  action: z.enum(['apply-settings', 'mark-failed']),
  plan: z.object({ targetInstanceId: z.string(), settings: settingsSchema }).loose(),
  error: z.object({ Error: z.string(), Cause: z.string() }).loose().optional(),
});

/**
 * `apply-settings`: what the restore API cannot set (Performance Insights, enhanced monitoring, backup retention)
 * is applied once the instance is available, and replication of its automated backups to the DR region is started.
 * `mark-failed`: tags the restored instance as failed (it is never deleted: it may be the only copy).
 */
export async function finishRestore(event: unknown, config: FinishConfig, deps: FinishDeps) {
  const e = parseInput(eventSchema, event, 'restore finish event');
  const plan = e.plan;
  const target = await describeInstance(deps.rds, plan.targetInstanceId);
  if (e.action === 'mark-failed') {
    if (!target?.DBInstanceArn) return { tagged: false, reason: 'the instance does not exist' };
    await deps.rds.send(
      new AddTagsToResourceCommand({
        ResourceName: target.DBInstanceArn,
        Tags: [{ Key: TAG_STATUS, Value: `failed: ${e.error?.Error ?? 'unknown'}`.slice(0, 256) }],
      }),
    );
    return { tagged: true, reason: e.error?.Error ?? 'unknown' };
  }

  const s = plan.settings;
  await deps.rds.send(
    new ModifyDBInstanceCommand({
      DBInstanceIdentifier: plan.targetInstanceId,
      ApplyImmediately: true,
      BackupRetentionPeriod: s.backupRetentionDays,
      ...(s.performanceInsightsKmsKeyId
        ? {
            EnablePerformanceInsights: true,
            PerformanceInsightsKMSKeyId: s.performanceInsightsKmsKeyId,
            PerformanceInsightsRetentionPeriod: s.performanceInsightsRetentionDays,
          }
        : {}),
      ...(s.monitoringIntervalSeconds && s.monitoringRoleArn
        ? { MonitoringInterval: s.monitoringIntervalSeconds, MonitoringRoleArn: s.monitoringRoleArn }
        : {}),
    }),
  );
  // Replication failing must not cost the operator the restored database: it is reported, and can be started later.
  let replication: { started: boolean; detail: string };
  try {
    await deps.drRds.send(
      new StartDBInstanceAutomatedBackupsReplicationCommand({
        SourceDBInstanceArn: target?.DBInstanceArn,
        KmsKeyId: config.drKeyArn,
        BackupRetentionPeriod: config.replicationRetentionDays,
      }),
    );
    replication = { started: true, detail: `automated backups replicated to ${config.drRegion}` };
  } catch (error) {
    replication = { started: false, detail: `${(error as Error).name}: ${(error as Error).message}` };
  }
  return { appliedAt: deps.now().toISOString(), replication };
}
