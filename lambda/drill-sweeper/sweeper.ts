import { DeleteDBInstanceCommand, type RDSClient } from '@aws-sdk/client-rds';
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DRILL_METRICS } from '../../contract/metrics.js';
import { DRILL_PREFIX, PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT } from '../../contract/tags.js';
import { listInstances, tagValue } from '../shared/rds-instances.js';

export interface SweeperConfig {
  maxAgeHours: number;
}

export interface SweeperDeps {
  rds: RDSClient;
  sfn: SFNClient;
  metrics: { addMetric(name: string, unit: 'Count', value: number): void; publishStoredMetrics(): void };
  now: () => Date;
}

export interface SweepResult {
  /** Scratch instances older than the maximum age whose drill is no longer running. */
  orphaned: string[];
  deleted: string[];
  /** Old, but their drill is still running. */
  kept: string[];
}

async function executionRunning(sfn: SFNClient, executionArn: string | undefined): Promise<boolean> {
  if (!executionArn) return false;
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING';
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}

/**
 * Deletes drill scratch instances that outlived their drill (cleanup failed, or the execution was lost). Only
 * instances with the drill prefix and tag are considered; IAM enforces the same.
 */
export async function sweep(config: SweeperConfig, deps: SweeperDeps): Promise<SweepResult> {
  const now = deps.now().getTime();
  const result: SweepResult = { orphaned: [], deleted: [], kept: [] };
  for (const instance of await listInstances(deps.rds)) {
    const id = instance.DBInstanceIdentifier ?? '';
    if (!id.startsWith(DRILL_PREFIX) || tagValue(instance, TAG_PURPOSE) !== PURPOSE_DRILL) continue;
    const created = Date.parse(tagValue(instance, TAG_REQUESTED_AT) ?? '') || instance.InstanceCreateTime?.getTime();
    if (created === undefined || now - created < config.maxAgeHours * 3_600_000) continue;
    if (await executionRunning(deps.sfn, tagValue(instance, TAG_EXECUTION))) {
      result.kept.push(id);
      continue;
    }
    result.orphaned.push(id);
    if (instance.DBInstanceStatus === 'deleting') continue;
    await deps.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true }),
    );
    result.deleted.push(id);
  }
  deps.metrics.addMetric(DRILL_METRICS.orphanedInstances, 'Count', result.orphaned.length);
  deps.metrics.publishStoredMetrics();
  return result;
}
