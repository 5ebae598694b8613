import { DescribeStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DR_REGION_DRILL_METRICS } from '../../contract/metrics.js';
import { publishDrillAge } from '../../lambda/dr-drill-age/age.js';
import { error } from '../support/drill-lambdas.js';

const MACHINE = 'arn:aws:states:ap-southeast-1:111111111111:stateMachine:authdb-dr-prod-dr-region-drill';
const NOW = new Date('2026-11-30T12:00:00.000Z');
const sfnMock = mockClient(SFNClient);
const sfn = new SFNClient({ region: 'ap-southeast-1' });
const metrics = () => ({ addMetric: vi.fn(), publishStoredMetrics: vi.fn() });

beforeEach(() => sfnMock.reset());

describe('publishDrillAge', () => {
  it('publishes the seconds since the last successful drill ended, asking only for the newest success', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: `${MACHINE}:x`,
          stateMachineArn: MACHINE,
          name: 'x',
          status: 'SUCCEEDED',
          startDate: new Date('2026-11-23T11:00:00Z'),
          stopDate: new Date('2026-11-23T12:00:00Z'),
        },
      ],
    });
    const m = metrics();
    expect(await publishDrillAge({ stateMachineArn: MACHINE }, { sfn, metrics: m, now: () => NOW })).toEqual({
      ageSeconds: 7 * 86_400,
      since: '2026-11-23T12:00:00.000Z',
      basis: 'last-success',
    });
    expect(sfnMock.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      statusFilter: 'SUCCEEDED',
      maxResults: 1,
    });
    expect(sfnMock.commandCalls(DescribeStateMachineCommand)).toHaveLength(0);
    expect(m.addMetric.mock.calls).toEqual([[DR_REGION_DRILL_METRICS.lastSuccessAge, 'Seconds', 7 * 86_400]]);
    expect(m.publishStoredMetrics).toHaveBeenCalledTimes(1);
  });

  it('counts from the creation of the state machine when no drill has succeeded yet', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
    sfnMock.on(DescribeStateMachineCommand).resolves({ creationDate: new Date('2026-11-29T12:00:00Z') });
    expect(await publishDrillAge({ stateMachineArn: MACHINE }, { sfn, metrics: metrics(), now: () => NOW })).toEqual({
      ageSeconds: 86_400,
      since: '2026-11-29T12:00:00.000Z',
      basis: 'state-machine-created',
    });
  });

  it('never publishes a negative age (clock skew)', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
    sfnMock.on(DescribeStateMachineCommand).resolves({ creationDate: new Date(NOW.getTime() + 5_000) });
    const m = metrics();
    expect((await publishDrillAge({ stateMachineArn: MACHINE }, { sfn, metrics: m, now: () => NOW })).ageSeconds).toBe(
      0,
    );
    expect(m.addMetric.mock.calls[0]![2]).toBe(0);
  });

  it('fails naming the state machine, publishing nothing, when there is neither a success nor a creation date', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({});
    sfnMock.on(DescribeStateMachineCommand).resolves({});
    const m = metrics();
    await expect(publishDrillAge({ stateMachineArn: MACHINE }, { sfn, metrics: m, now: () => NOW })).rejects.toThrow(
      `Neither a successful execution nor a creation date for ${MACHINE}`,
    );
    expect(m.addMetric).not.toHaveBeenCalled();
    expect(m.publishStoredMetrics).not.toHaveBeenCalled();
  });

  it('lets a Step Functions error through, publishing nothing (a missing figure alarms as missing data)', async () => {
    sfnMock.on(ListExecutionsCommand).rejects(error('AccessDeniedException', 'not authorized'));
    const m = metrics();
    await expect(
      publishDrillAge({ stateMachineArn: MACHINE }, { sfn, metrics: m, now: () => NOW }),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(m.addMetric).not.toHaveBeenCalled();
  });
});

describe('dr-drill-age handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('asks about the configured state machine', async () => {
    vi.stubEnv('STATE_MACHINE_ARN', MACHINE);
    vi.stubEnv('ENVIRONMENT', 'prod');
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
    sfnMock.on(DescribeStateMachineCommand).resolves({ creationDate: new Date('2026-11-29T12:00:00Z') });
    const { handler } = await import('../../lambda/dr-drill-age/handler.js');
    await expect(handler({})).resolves.toMatchObject({ basis: 'state-machine-created' });
    expect(sfnMock.commandCalls(ListExecutionsCommand)[0]!.args[0].input.stateMachineArn).toBe(MACHINE);
  });

  it('fails at load without the state machine ARN', async () => {
    vi.stubEnv('STATE_MACHINE_ARN', '');
    vi.stubEnv('ENVIRONMENT', 'prod');
    await expect(import('../../lambda/dr-drill-age/handler.js')).rejects.toThrow(
      'Missing environment variable STATE_MACHINE_ARN',
    );
  });
});
