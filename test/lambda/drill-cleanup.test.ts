import { DBInstanceNotFoundFault, DeleteDBInstanceCommand } from '@aws-sdk/client-rds';
import { beforeEach, describe, expect, it } from 'vitest';
import { cleanupScratchInstance } from '../../lambda/drill-cleanup/cleanup.js';
import {
  EXECUTION_ARN,
  error,
  givenInstances,
  NOW,
  now,
  ourTags,
  rds,
  rdsMock,
  SCRATCH,
  scratchInstance,
  sfnMock,
} from '../support/drill-lambdas.js';

beforeEach(() => {
  rdsMock.reset();
  sfnMock.reset();
});

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
