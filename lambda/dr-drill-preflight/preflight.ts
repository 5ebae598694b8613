import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { assertNoOtherDrill } from '../drill-preflight/preflight.js';
import {
  type DrRegionDrillPlan,
  drRegionDrillInputSchema,
  type PrimaryCheck,
  replicatedBackups,
  withTimeout,
} from '../shared/dr-region-drill.js';
import { executionContextSchema, scratchInstanceId } from '../shared/drill.js';
import { parseInput } from '../shared/errors.js';

export interface DrPreflightConfig {
  environment: string;
  /** This (the DR) region. */
  region: string;
  primaryRegion: string;
  primaryInstanceId: string;
  primaryCheckTimeoutMs: number;
}

export interface DrPreflightDeps {
  /** RDS and Step Functions of the DR region. */
  rds: RDSClient;
  sfn: SFNClient;
  /** DescribeDBInstances of the primary instance in the primary region (undefined: it does not exist). */
  describePrimary: (instanceId: string) => Promise<DBInstance | undefined>;
  now: () => Date;
}

const eventSchema = z.object({ input: z.unknown(), execution: executionContextSchema });

/**
 * Decides whether a DR-region drill may start and what it restores: the newest replicated automated backups of the
 * primary in this region. Asks the primary region, within a short timeout, whether the primary is there to be counted
 * at C; when it is not, the drill goes on with totals only and the plan says why. Creates nothing.
 */
export async function drPreflight(
  event: unknown,
  config: DrPreflightConfig,
  deps: DrPreflightDeps,
): Promise<DrRegionDrillPlan> {
  const { input, execution } = parseInput(eventSchema, event, 'preflight event');
  parseInput(drRegionDrillInputSchema, input ?? {}, 'DR-region drill input');
  const scratchId = scratchInstanceId(execution.StartTime, execution.Name);
  await assertNoOtherDrill(execution.Id, scratchId, deps);

  const backups = await replicatedBackups(deps.rds, { sourceInstanceId: config.primaryInstanceId });
  const now = deps.now();
  const primary = await checkPrimary(config, deps);
  const plan: DrRegionDrillPlan = {
    environment: config.environment,
    mode: 'point-in-time',
    region: config.region,
    sourceInstanceId: config.primaryInstanceId,
    automatedBackupsArn: backups.DBInstanceAutomatedBackupsArn,
    scratchInstanceId: scratchId,
    executionArn: execution.Id,
    executionName: execution.Name,
    startedAt: execution.StartTime,
    // The RPO a region loss right now would cost: how far the replicated backups lag behind now.
    rpo: {
      latestRestorableTime: backups.latest.toISOString(),
      lagSeconds: Math.max(0, Math.round((now.getTime() - backups.latest.getTime()) / 1000)),
      measuredAt: now.toISOString(),
    },
    primary: primary.check,
  };
  if (primary.endpoint) plan.source = primary.endpoint;
  return plan;
}

async function checkPrimary(
  config: DrPreflightConfig,
  deps: DrPreflightDeps,
): Promise<{ check: PrimaryCheck; endpoint?: { host: string; port: number } }> {
  const checked = (reachable: boolean, reason?: string): PrimaryCheck => ({
    reachable,
    region: config.primaryRegion,
    checkedAt: deps.now().toISOString(),
    ...(reason === undefined ? {} : { reason }),
  });
  let instance: DBInstance | undefined;
  try {
    instance = await withTimeout(
      deps.describePrimary(config.primaryInstanceId),
      config.primaryCheckTimeoutMs,
      `DescribeDBInstances of ${config.primaryInstanceId} in ${config.primaryRegion}`,
    );
  } catch (error) {
    return { check: checked(false, `Primary region unreachable: ${(error as Error).message}`) };
  }
  if (!instance) {
    return {
      check: checked(false, `Primary instance ${config.primaryInstanceId} does not exist in ${config.primaryRegion}`),
    };
  }
  const { DBInstanceStatus: status, Endpoint: endpoint } = instance;
  if (status !== 'available' || !endpoint?.Address || !endpoint.Port) {
    return {
      check: checked(
        false,
        `Primary instance ${config.primaryInstanceId} is ${status ?? 'in no status'}, not available`,
      ),
    };
  }
  return { check: checked(true), endpoint: { host: endpoint.Address, port: endpoint.Port } };
}
