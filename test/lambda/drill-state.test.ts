// Each step parses the state pieces it reads (contract/drill-state.ts): a drifted piece fails naming the field.
import { RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { reportDrill } from '../../lambda/drill-report/report.js';
import { requestDrillRestore } from '../../lambda/drill-restore/restore.js';
import { verifier } from '../../lambda/drill-verifier/verifier.js';

mockClient(RDSClient);
const plan = {
  environment: 'dev',
  mode: 'point-in-time',
  sourceInstanceId: 'authdb-dev',
  source: { host: 'authdb-dev.example', port: 5432 },
  scratchInstanceId: 'drill-202611250101-abcdef12',
  executionArn: 'arn:aws:states:ap-northeast-2:111111111111:execution:authdb-dr-dev-drill:e1',
  executionName: 'e1',
  startedAt: '2026-11-25T01:00:00.000Z',
  rpo: { latestRestorableTime: '2026-11-25T00:57:30.000Z', lagSeconds: 150, measuredAt: '2026-11-25T01:00:00.000Z' },
};
const never = () => {
  throw new Error('not reached');
};

describe('drill state, parsed at each step', () => {
  it('the report refuses a scratch status without its check time', async () => {
    const state = { plan, scratch: { instanceId: 'x', status: 'available', available: true } };
    const config = { environment: 'dev', bucket: 'b', topicArn: 't', rtoTargetSeconds: 900, rpoTargetSeconds: 300 };
    const metrics = { addMetric: never, publishStoredMetrics: never };
    await expect(
      reportDrill(state, config, { s3: never as never, sns: never as never, metrics, now: () => new Date() }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(
        /^Invalid report event: scratch\.settled = missing; .*scratch\.checkedAt = missing/,
      ),
    });
  });

  it('the restore step refuses a plan whose scratch instance is not a drill instance', async () => {
    const event = { plan: { ...plan, scratchInstanceId: 'authdb-prod' }, sourceCounts: { countedAt: plan.startedAt } };
    const config = {
      instanceClass: 'db.t4g.medium',
      subnetGroupName: 's',
      securityGroupId: 'g',
      parameterGroupName: 'p',
    };
    await expect(
      requestDrillRestore(event, config, { rds: new RDSClient({}), now: () => new Date() }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('plan.scratchInstanceId = "authdb-prod"'),
    });
  });

  it('the verifier refuses source counts without their instant', async () => {
    const event = { action: 'verify', plan, scratch: { endpoint: plan.source }, sourceCounts: { tables: {} } };
    await expect(
      verifier(event, { tables: [], settleSeconds: 300, concurrency: 1 }, { connectTo: never, now: () => new Date() }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('sourceCounts.countedAt = missing'),
    });
  });
});
