import type { RDSClient } from '@aws-sdk/client-rds';
import { ExecutionStatus, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { parseInput, WorkflowError } from '../../contract/errors.js';
import { DRILL_PREFIX, PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE } from '../../contract/tags.js';
import {
  type DrillPlan,
  drillInputSchema,
  executionContextSchema,
  scratchInstanceId,
  stateMachineArnOf,
} from '../shared/drill.js';
import { describeInstance, listInstances, tagValue } from '../shared/rds-instances.js';
import { resolveSnapshot } from '../shared/snapshots.js';

export interface PreflightConfig {
  environment: string;
  sourceInstanceId: string;
}

export interface PreflightDeps {
  rds: RDSClient;
  sfn: SFNClient;
  now: () => Date;
}

const eventSchema = z.object({ input: z.unknown(), execution: executionContextSchema });

/**
 * Decides whether a drill may start and what it restores. Creates nothing: every failure here ends the execution
 * before any instance exists.
 */
export async function preflight(event: unknown, config: PreflightConfig, deps: PreflightDeps): Promise<DrillPlan> {
  const { input: rawInput, execution } = parseInput(eventSchema, event, 'preflight event');
  const input = parseInput(drillInputSchema, rawInput ?? {}, 'drill input');
  const scratchId = scratchInstanceId(execution.StartTime, execution.Name);

  const source = await describeInstance(deps.rds, config.sourceInstanceId);
  if (!source) {
    throw new WorkflowError('SourceNotAvailable', `Source instance ${config.sourceInstanceId} does not exist`);
  }
  if (source.DBInstanceStatus !== 'available' || !source.Endpoint?.Address || !source.Endpoint.Port) {
    throw new WorkflowError(
      'SourceNotAvailable',
      `Source instance ${config.sourceInstanceId} is ${source.DBInstanceStatus}; allowed: available`,
    );
  }

  await assertNoOtherDrill(execution.Id, scratchId, deps);

  const now = deps.now();
  const latest = source.LatestRestorableTime;
  if (!latest) {
    throw new WorkflowError(
      'SourceNotAvailable',
      `Source instance ${config.sourceInstanceId} has no LatestRestorableTime: are automated backups enabled?`,
    );
  }

  const plan: DrillPlan = {
    environment: config.environment,
    mode: input.mode,
    sourceInstanceId: config.sourceInstanceId,
    source: { host: source.Endpoint.Address, port: source.Endpoint.Port },
    scratchInstanceId: scratchId,
    executionArn: execution.Id,
    executionName: execution.Name,
    startedAt: execution.StartTime,
    rpo: {
      latestRestorableTime: latest.toISOString(),
      lagSeconds: Math.max(0, Math.round((now.getTime() - latest.getTime()) / 1000)),
      measuredAt: now.toISOString(),
    },
  };
  if (input.mode !== 'point-in-time') {
    plan.snapshot = await resolveSnapshot(deps.rds, config.sourceInstanceId, {
      latest: input.mode === 'latest-snapshot',
      identifier: input.snapshotIdentifier ?? input.recoveryPointArn,
    });
  }
  return plan;
}

/** Fails unless this is the only running execution and no other drill scratch instance exists in the region. */
export async function assertNoOtherDrill(
  executionArn: string,
  ownScratchId: string,
  deps: PreflightDeps,
): Promise<void> {
  const running = await deps.sfn.send(
    new ListExecutionsCommand({
      stateMachineArn: stateMachineArnOf(executionArn),
      statusFilter: ExecutionStatus.RUNNING,
      maxResults: 100,
    }),
  );
  const others = (running.executions ?? []).filter((e) => e.executionArn !== executionArn);
  if (others.length > 0) {
    throw new WorkflowError(
      'DrillAlreadyRunning',
      `Another drill is running (${others.map((e) => e.name).join(', ')}); allowed: one drill at a time`,
    );
  }
  const scratch = (await listInstances(deps.rds)).filter(
    (i) =>
      i.DBInstanceIdentifier?.startsWith(DRILL_PREFIX) &&
      i.DBInstanceIdentifier !== ownScratchId &&
      tagValue(i, TAG_PURPOSE) === PURPOSE_DRILL,
  );
  if (scratch.length > 0) {
    const names = scratch.map((i) => `${i.DBInstanceIdentifier} (${tagValue(i, TAG_EXECUTION) ?? 'no execution tag'})`);
    throw new WorkflowError(
      'DrillAlreadyRunning',
      `A drill scratch instance still exists: ${names.join(', ')}; allowed: start when it is gone ` +
        '(the sweeper deletes abandoned ones)',
    );
  }
}
