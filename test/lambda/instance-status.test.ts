import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../lambda/instance-status/handler.js';
import { instanceStatus } from '../../lambda/instance-status/instance-status.js';
import { TERMINAL_FAILURE_STATES } from '../../lambda/shared/rds-instances.js';
import {
  error,
  givenInstances,
  NOW,
  now,
  ourTags,
  rds,
  rdsMock,
  resetDrillMocks,
  SCRATCH,
  SOURCE,
  scratchInstance,
  sourceInstance,
} from '../support/drill-lambdas.js';

beforeEach(resetDrillMocks);

describe('instanceStatus', () => {
  const SINCE = '2026-11-25T01:00:00.000Z';
  const MAX_WAIT = 5400;
  const at = (ms: number) => () => new Date(Date.parse(SINCE) + ms);
  const look = (extra: Record<string, unknown> = {}, clock = now) =>
    instanceStatus({ instanceId: SCRATCH, since: SINCE, maxWaitSeconds: MAX_WAIT, ...extra }, { rds, now: clock });
  const endpoint = { Address: `${SCRATCH}.abcdefghijkl.ap-northeast-2.rds.amazonaws.com`, Port: 5432 };

  it('reports an available instance with its endpoint', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { Endpoint: endpoint }));
    expect(await look()).toEqual({
      instanceId: SCRATCH,
      status: 'available',
      available: true,
      settled: true,
      failed: false,
      timedOut: false,
      checkedAt: NOW.toISOString(),
      endpoint: { host: endpoint.Address, port: 5432 },
    });
  });

  it('reports a creating instance as neither available nor failed, without an endpoint', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'creating' }));
    const status = await look();
    expect(status).toMatchObject({ status: 'creating', available: false, failed: false, timedOut: false });
    expect(status).not.toHaveProperty('endpoint');
    // An address without a port is no endpoint either.
    givenInstances(
      scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'backing-up', Endpoint: { Address: endpoint.Address } }),
    );
    expect(await look()).not.toHaveProperty('endpoint');
  });

  it.each([...TERMINAL_FAILURE_STATES])('reports %s as failed for good', async (terminal) => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: terminal }));
    expect(await look()).toMatchObject({ status: terminal, available: false, failed: true });
  });

  it('covers the statuses from which RDS does not recover by itself', () => {
    expect([...TERMINAL_FAILURE_STATES].sort()).toEqual([
      'failed',
      'inaccessible-encryption-credentials',
      'incompatible-network',
      'incompatible-parameters',
      'incompatible-restore',
      'restore-error',
      'storage-full',
    ]);
  });

  it('reports an instance that does not exist as not-found and failed', async () => {
    givenInstances();
    expect(await look()).toEqual({
      instanceId: SCRATCH,
      status: 'not-found',
      available: false,
      settled: false,
      failed: true,
      timedOut: false,
      checkedAt: NOW.toISOString(),
    });
  });

  it('times out only after more than maxWaitSeconds since the wait began', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'creating' }));
    expect((await look({}, at(MAX_WAIT * 1000))).timedOut).toBe(false);
    expect((await look({}, at(MAX_WAIT * 1000 + 1))).timedOut).toBe(true);
    expect((await look({}, at(MAX_WAIT * 1000 + 1))).checkedAt).toBe('2026-11-25T02:30:00.001Z');
  });

  it('says whether LatestRestorableTime has reached the restore time', async () => {
    const restoreTime = '2026-11-25T01:01:10.123Z';
    givenInstances(sourceInstance({ LatestRestorableTime: new Date(restoreTime) }));
    const reached = await instanceStatus(
      { instanceId: SOURCE, since: restoreTime, maxWaitSeconds: 900, restoreTime },
      { rds, now },
    );
    expect(reached).toMatchObject({ restorable: true, latestRestorableTime: restoreTime, available: true });

    givenInstances(sourceInstance({ LatestRestorableTime: new Date(Date.parse(restoreTime) - 1) }));
    const behind = await instanceStatus(
      { instanceId: SOURCE, since: restoreTime, maxWaitSeconds: 900, restoreTime },
      { rds, now },
    );
    expect(behind).toMatchObject({ restorable: false, latestRestorableTime: '2026-11-25T01:01:10.122Z' });

    givenInstances(sourceInstance({ LatestRestorableTime: undefined }));
    const unknown = await instanceStatus(
      { instanceId: SOURCE, since: restoreTime, maxWaitSeconds: 900, restoreTime },
      { rds, now },
    );
    expect(unknown.restorable).toBe(false);
    expect(unknown).not.toHaveProperty('latestRestorableTime');
  });

  it('says nothing about restorable when no restore time is asked about', async () => {
    givenInstances(sourceInstance());
    expect(
      await instanceStatus({ instanceId: SOURCE, since: SINCE, maxWaitSeconds: 900 }, { rds, now }),
    ).not.toHaveProperty('restorable');
  });

  it('refuses an event without a zoned since time', async () => {
    await expect(
      instanceStatus({ instanceId: SCRATCH, since: '2026-11-25 01:00', maxWaitSeconds: 60 }, { rds, now }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^Invalid instance status event: since = "2026-11-25 01:00"/),
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('refuses a wait limit that is not a positive whole number, naming it, before asking RDS', async () => {
    await expect(look({ maxWaitSeconds: 0 })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('maxWaitSeconds = 0'),
    });
    await expect(look({ instanceId: '' })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('instanceId'),
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('does not fail an instance being renamed that is not found under its new name yet', async () => {
    givenInstances();
    expect(await look({ missingIsPending: true })).toMatchObject({
      status: 'not-found',
      available: false,
      failed: false,
    });
  });

  it('is available but not settled while modifications are pending', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { PendingModifiedValues: { DBInstanceClass: 'db.r6g.large' } }));
    expect(await look()).toMatchObject({ available: true, settled: false });
    givenInstances(scratchInstance(SCRATCH, ourTags, { PendingModifiedValues: {} }));
    expect(await look()).toMatchObject({ available: true, settled: true });
  });

  it('passes on an RDS error other than not-found (no guess at the status)', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(error('ThrottlingException', 'Rate exceeded'));
    await expect(look()).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('instance-status handler', () => {
  it('looks at the instance the event names', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags));
    await expect(
      handler({ instanceId: SCRATCH, since: '2026-11-25T01:00:00.000Z', maxWaitSeconds: 60 }),
    ).resolves.toMatchObject({ instanceId: SCRATCH, status: 'available' });
  });

  it('refuses a bad event', async () => {
    await expect(handler({ instanceId: SCRATCH })).rejects.toMatchObject({ name: 'InvalidInput' });
  });
});
