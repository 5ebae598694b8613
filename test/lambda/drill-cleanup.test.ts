import { DBInstanceNotFoundFault, DeleteDBInstanceCommand } from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { cleanupScratchInstance } from '../../lambda/drill-cleanup/cleanup.js';
import { TAG_EXECUTION } from '../../lambda/shared/tags.js';
import {
  EXECUTION_ARN,
  EXECUTION_NAME,
  error,
  givenInstances,
  NOW,
  now,
  ourTags,
  rds,
  rdsMock,
  resetDrillMocks,
  SCRATCH,
  STARTED_AT,
  scratchInstance,
} from '../support/drill-lambdas.js';

beforeEach(resetDrillMocks);

describe('cleanupScratchInstance', () => {
  const event = { plan: { scratchInstanceId: SCRATCH, executionArn: EXECUTION_ARN } };

  it('deletes its own scratch instance without a final snapshot or retained backups', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags));
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    expect(await cleanupScratchInstance(event, { rds, now })).toEqual({
      instanceId: SCRATCH,
      action: 'deleted',
      at: NOW.toISOString(),
    });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: SCRATCH, SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
  });

  it('leaves an instance already being deleted alone', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'deleting' }));
    expect(await cleanupScratchInstance(event, { rds, now })).toEqual({
      instanceId: SCRATCH,
      action: 'already-deleting',
      at: NOW.toISOString(),
    });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('reports not-found when the instance disappears between the look and the delete', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags));
    rdsMock
      .on(DeleteDBInstanceCommand)
      .rejects(new DBInstanceNotFoundFault({ message: `DBInstance ${SCRATCH} not found.`, $metadata: {} }));
    expect(await cleanupScratchInstance(event, { rds, now })).toEqual({
      instanceId: SCRATCH,
      action: 'not-found',
      at: NOW.toISOString(),
    });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
  });

  it('lets throttling through with its name, for the Retry of the Cleanup state', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags));
    rdsMock.on(DeleteDBInstanceCommand).rejects(error('Throttling', 'Rate exceeded'));
    await expect(cleanupScratchInstance(event, { rds, now })).rejects.toMatchObject({
      name: 'Throttling',
      message: 'Rate exceeded',
    });
  });

  it('lets an instance that cannot be deleted yet through as InvalidDBInstanceStateFault', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags, { DBInstanceStatus: 'creating' }));
    rdsMock
      .on(DeleteDBInstanceCommand)
      .rejects(error('InvalidDBInstanceStateFault', 'Instance is not in available state'));
    await expect(cleanupScratchInstance(event, { rds, now })).rejects.toMatchObject({
      name: 'InvalidDBInstanceStateFault',
    });
  });
});

describe('cleanupScratchInstance: ownership and where the event comes from', () => {
  it('refuses to delete an instance of that name tagged for another execution (or none), deleting nothing', async () => {
    for (const tagValues of [
      { ...ourTags, [TAG_EXECUTION]: `${EXECUTION_ARN}-other` },
      { team: 'auth' } as Record<string, string>,
    ]) {
      givenInstances(scratchInstance(SCRATCH, tagValues));
      await expect(
        cleanupScratchInstance({ plan: { scratchInstanceId: SCRATCH, executionArn: EXECUTION_ARN } }, { rds, now }),
      ).rejects.toMatchObject({
        name: 'ScratchInstanceNotOwned',
        message: expect.stringMatching(new RegExp(`^Refusing to delete ${SCRATCH}: it is tagged for `)),
      });
    }
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('reports not-found, deleting nothing, when the instance never existed', async () => {
    givenInstances();
    expect(
      await cleanupScratchInstance({ plan: { scratchInstanceId: SCRATCH, executionArn: EXECUTION_ARN } }, { rds, now }),
    ).toEqual({ instanceId: SCRATCH, action: 'not-found', at: NOW.toISOString() });
    expect(rdsMock.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
  });

  it('derives the scratch instance of an execution that ended FAILED, TIMED_OUT or ABORTED (EventBridge)', async () => {
    givenInstances(scratchInstance(SCRATCH, ourTags));
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    const event = {
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: EXECUTION_ARN,
        name: EXECUTION_NAME,
        status: 'ABORTED',
        startDate: Date.parse(STARTED_AT),
      },
    };
    expect(await cleanupScratchInstance(event, { rds, now })).toMatchObject({ instanceId: SCRATCH, action: 'deleted' });
  });

  it('refuses an event that is neither, before looking at RDS', async () => {
    await expect(
      cleanupScratchInstance({ detail: { executionArn: EXECUTION_ARN } }, { rds, now }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^Invalid cleanup event: /),
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('drill-cleanup handler', () => {
  it('deletes with its own RDS client', async () => {
    const { handler } = await import('../../lambda/drill-cleanup/handler.js');
    givenInstances(scratchInstance(SCRATCH, ourTags));
    rdsMock.on(DeleteDBInstanceCommand).resolves({});
    await expect(handler({ plan: { scratchInstanceId: SCRATCH, executionArn: EXECUTION_ARN } })).resolves.toMatchObject(
      { instanceId: SCRATCH, action: 'deleted' },
    );
  });
});
