import { DescribeStateMachineCommand, ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DR_REGION_DRILL_METRICS as M } from '../../contract/metrics.js';
import type { MetricsPort } from '../shared/reporting.js';

export interface DrillAgeResult {
  /** Seconds since the last successful DR-region drill ended, or since the state machine exists if none has. */
  ageSeconds: number;
  since: string;
  basis: 'last-success' | 'state-machine-created';
}

/**
 * Publishes how long ago the DR-region drill last succeeded. An alarm cannot look back 35 days (7 at most), so this
 * figure, published every few hours, is what "no successful DR-region drill in N days" alarms on. A drill that has
 * never succeeded counts from the day its state machine was created, so a new deployment has its first N days.
 */
export async function publishDrillAge(
  config: { stateMachineArn: string },
  deps: { sfn: SFNClient; metrics: MetricsPort; now: () => Date },
): Promise<DrillAgeResult> {
  const out = await deps.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: config.stateMachineArn, statusFilter: 'SUCCEEDED', maxResults: 1 }),
  );
  const last = out.executions?.[0]?.stopDate;
  let since = last;
  if (!since) {
    const machine = await deps.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: config.stateMachineArn }));
    since = machine.creationDate;
  }
  if (!since) throw new Error(`Neither a successful execution nor a creation date for ${config.stateMachineArn}`);
  const ageSeconds = Math.max(0, Math.round((deps.now().getTime() - since.getTime()) / 1000));
  deps.metrics.addMetric(M.lastSuccessAge, 'Seconds', ageSeconds);
  deps.metrics.publishStoredMetrics();
  return { ageSeconds, since: since.toISOString(), basis: last ? 'last-success' : 'state-machine-created' };
}
