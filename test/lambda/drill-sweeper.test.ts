import { type DBInstance, DeleteDBInstanceCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sweep } from '../../lambda/drill-sweeper/sweeper.js';
import { PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT } from '../../lambda/shared/tags.js';
import {
  error,
  givenInstances,
  rds,
  rdsMock,
  resetDrillMocks,
  SOURCE,
  scratchInstance,
  sfn,
  sfnMock,
  sourceInstance,
} from '../support/drill-lambdas.js';

beforeEach(resetDrillMocks);

describe('sweep', () => {
  const NOW_SWEEP = new Date('2026-11-25T12:00:00.000Z');
  const hoursAgo = (h: number) => new Date(NOW_SWEEP.getTime() - h * 3_600_000).toISOString();
  const exec = (name: string) => `arn:aws:states:ap-northeast-2:111111111111:execution:authdb-dr-dev-drill:${name}`;
  const drill = (id: string, execution: string | undefined, requestedAt: string | undefined, status = 'available') =>
    scratchInstance(
      id,
      {
        [TAG_PURPOSE]: PURPOSE_DRILL,
        ...(execution ? { [TAG_EXECUTION]: execution } : {}),
        ...(requestedAt ? { [TAG_REQUESTED_AT]: requestedAt } : {}),
      },
      { DBInstanceStatus: status, InstanceCreateTime: new Date(NOW_SWEEP.getTime() - 24 * 3_600_000) },
    );

  function run(instances: DBInstance[], statuses: Record<string, string | Error>) {
    givenInstances(...instances);
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      const status = statuses[input.executionArn];
      if (status === undefined) throw new Error(`unexpected DescribeExecution of ${input.executionArn}`);
      if (status instanceof Error) throw status;
      return { executionArn: input.executionArn, status };
    });
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    return { metrics, result: sweep({ maxAgeHours: 6 }, { rds, sfn, metrics, now: () => NOW_SWEEP }) };
  }

  const deleted = () => rdsMock.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.DBInstanceIdentifier);

  it('deletes old drill instances whose execution no longer runs and keeps those whose execution runs', async () => {
    const production = { ...sourceInstance(), InstanceCreateTime: new Date('2026-01-01T00:00:00Z') };
    const instances = [
      production,
      drill('drill-finished', exec('finished'), hoursAgo(7)),
      drill('drill-running', exec('running'), hoursAgo(8)),
      drill('drill-lost', exec('lost'), hoursAgo(10)),
      drill('drill-young', exec('young'), hoursAgo(5.9)),
      drill('drill-at-max-age', exec('failed'), hoursAgo(6)),
      drill('drill-being-deleted', exec('aborted'), hoursAgo(9), 'deleting'),
      drill('drill-no-execution-tag', undefined, undefined),
      scratchInstance('drill-untagged', {}, { InstanceCreateTime: new Date('2026-11-01T00:00:00Z') }),
      scratchInstance(
        'restored-tagged-like-a-drill',
        { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_REQUESTED_AT]: hoursAgo(20) },
        { InstanceCreateTime: new Date('2026-11-01T00:00:00Z') },
      ),
    ];
    const { metrics, result } = run(instances, {
      [exec('finished')]: 'SUCCEEDED',
      [exec('running')]: 'RUNNING',
      [exec('lost')]: error('ExecutionDoesNotExist', 'Execution Does Not Exist'),
      [exec('failed')]: 'FAILED',
      [exec('aborted')]: 'ABORTED',
    });
    expect(await result).toEqual({
      orphaned: ['drill-finished', 'drill-lost', 'drill-at-max-age', 'drill-being-deleted', 'drill-no-execution-tag'],
      deleted: ['drill-finished', 'drill-lost', 'drill-at-max-age', 'drill-no-execution-tag'],
      kept: ['drill-running'],
    });
    expect(deleted()).toEqual(['drill-finished', 'drill-lost', 'drill-at-max-age', 'drill-no-execution-tag']);
    expect(deleted()).not.toContain(SOURCE);
    for (const call of rdsMock.commandCalls(DeleteDBInstanceCommand)) {
      expect(call.args[0].input).toMatchObject({ SkipFinalSnapshot: true, DeleteAutomatedBackups: true });
    }
    // Young and untagged instances are never looked up.
    expect(sfnMock.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input.executionArn)).toEqual([
      exec('finished'),
      exec('running'),
      exec('lost'),
      exec('failed'),
      exec('aborted'),
    ]);
    expect(metrics.addMetric.mock.calls).toEqual([['OrphanedDrillInstances', 'Count', 5]]);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);
  });

  it('records zero orphans and deletes nothing when all is clean', async () => {
    const { metrics, result } = run([sourceInstance(), drill('drill-running', exec('running'), hoursAgo(7))], {
      [exec('running')]: 'RUNNING',
    });
    expect(await result).toEqual({ orphaned: [], deleted: [], kept: ['drill-running'] });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(metrics.addMetric.mock.calls).toEqual([['OrphanedDrillInstances', 'Count', 0]]);
  });

  it('sees instances on every page of the listing', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [sourceInstance()], Marker: 'page-2' })
      .resolvesOnce({ DBInstances: [drill('drill-on-page-2', exec('finished'), hoursAgo(7))] });
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    const result = await sweep({ maxAgeHours: 6 }, { rds, sfn, metrics, now: () => NOW_SWEEP });
    expect(result.deleted).toEqual(['drill-on-page-2']);
    expect(rdsMock.commandCalls(DescribeDBInstancesCommand)[1]!.args[0].input).toMatchObject({ Marker: 'page-2' });
  });

  it('lets an unexpected Step Functions error through instead of deleting a drill that may still run', async () => {
    const { result } = run([drill('drill-unknown', exec('unknown'), hoursAgo(7))], {
      [exec('unknown')]: error('AccessDeniedException', 'not authorized to perform states:DescribeExecution'),
    });
    await expect(result).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });
});

describe('drill-sweeper handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('sweeps with the configured maximum age', async () => {
    vi.stubEnv('MAX_AGE_HOURS', '6');
    vi.stubEnv('ENVIRONMENT', 'dev');
    givenInstances(sourceInstance());
    const { handler } = await import('../../lambda/drill-sweeper/handler.js');
    await expect(handler({})).resolves.toEqual({ orphaned: [], deleted: [], kept: [] });
  });

  it('fails at load naming a malformed maximum age', async () => {
    vi.stubEnv('MAX_AGE_HOURS', 'six');
    vi.stubEnv('ENVIRONMENT', 'dev');
    await expect(import('../../lambda/drill-sweeper/handler.js')).rejects.toThrow(
      'Environment variable MAX_AGE_HOURS must be a whole number, got "six"',
    );
  });
});
