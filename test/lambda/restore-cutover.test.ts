import { RDSClient } from '@aws-sdk/client-rds';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { cutover } from '../../lambda/restore-cutover/cutover.js';
import { FakeRds } from '../support/fake-rds.js';
import { ACCOUNT, REGION } from '../support/state-machine.js';

/** Issue 8, finding 2: the cutover function renames only what its calling restore execution is entitled to. */

const SOURCE = 'authdb-prod';
const MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:authdb-dr-prod-restore`;
const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:authdb-dr-prod-restore:incident-1`;
const STARTED = new Date('2026-11-26T05:40:00Z');
const ASIDE = `${SOURCE}-pre-restore-202611260540`;
const TARGET = `${SOURCE}-restored-1`;
const INPUT = {
  sourceInstanceId: SOURCE,
  restoreTime: 'latest',
  targetInstanceId: TARGET,
  cutover: { confirmSourceInstanceId: SOURCE },
};
const config = { sourceInstanceId: SOURCE, stateMachineArn: MACHINE };

const sfnMock = mockClient(SFNClient);
let fake: FakeRds;
const deps = () => ({
  rds: new RDSClient({ region: REGION }),
  sfn: new SFNClient({ region: REGION }),
  now: () => new Date(),
});
const plan = (more: Record<string, unknown> = {}) => ({
  sourceInstanceId: SOURCE,
  targetInstanceId: TARGET,
  preRestoreInstanceId: ASIDE,
  executionArn: EXECUTION,
  cutover: true,
  ...more,
});
function execution(more: Record<string, unknown> = {}) {
  sfnMock.reset();
  sfnMock.on(DescribeExecutionCommand).resolves({
    executionArn: EXECUTION,
    stateMachineArn: MACHINE,
    status: 'RUNNING',
    input: JSON.stringify(INPUT),
    startDate: STARTED,
    ...more,
  });
}

beforeEach(() => {
  fake?.restore();
  fake = new FakeRds();
  fake.addSource(SOURCE);
  fake.addInstance(TARGET, { 'authdb-dr:purpose': 'restored' });
  execution();
});
afterAll(() => {
  fake?.restore();
  sfnMock.restore();
});

describe('restore cutover function', () => {
  it('renames the configured source aside for a running restore execution that asked for the cutover', async () => {
    await expect(cutover({ action: 'rename-source', plan: plan() }, config, deps())).resolves.toMatchObject({
      from: SOURCE,
      to: ASIDE,
      alreadyDone: false,
    });
    expect(fake.instances.has(ASIDE)).toBe(true);
  });

  it.each([
    ['an execution that is not running', { status: 'SUCCEEDED' }, /it is SUCCEEDED; allowed: RUNNING/],
    ['an execution of another state machine', { stateMachineArn: `${MACHINE}-copy` }, /not an execution of/],
    [
      'an execution that asked for no cutover',
      { input: JSON.stringify({ ...INPUT, cutover: undefined }) },
      /asked for no cutover/,
    ],
    [
      'an execution of another source',
      { input: JSON.stringify({ ...INPUT, sourceInstanceId: 'other-db' }) },
      /its source is "other-db"/,
    ],
    [
      'a target not named <source>-restored…',
      { input: JSON.stringify({ ...INPUT, targetInstanceId: 'other-db' }) },
      /target "other-db"; allowed: authdb-prod-restored…/,
    ],
    ['an execution without a start time', { startDate: undefined }, /it has no start time/],
  ])('refuses %s, renaming nothing', async (_, more, message) => {
    execution(more);
    await expect(cutover({ action: 'rename-source', plan: plan() }, config, deps())).rejects.toThrow(message);
    expect(fake.mutations()).toEqual([]);
  });

  it.each([
    ['another source', { sourceInstanceId: 'other-db' }],
    ['another target', { targetInstanceId: `${SOURCE}-restored-2` }],
    ['another pre-restore name', { preRestoreInstanceId: `${SOURCE}-pre-restore-209901010000` }],
  ])('refuses a plan naming %s than its execution allows', async (_, more) => {
    const error = await cutover({ action: 'rename-target', plan: plan(more) }, config, deps()).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'NotCalledByRestore', message: expect.stringMatching(/the execution allows/) });
    expect(fake.mutations()).toEqual([]);
  });

  it('refuses an execution it cannot describe', async () => {
    sfnMock.reset();
    sfnMock.on(DescribeExecutionCommand).rejects(Object.assign(new Error('nope'), { name: 'ExecutionDoesNotExist' }));
    await expect(cutover({ action: 'roll-back', plan: plan() }, config, deps())).rejects.toThrow(
      /cannot be described \(ExecutionDoesNotExist\)/,
    );
  });

  it('rolls back an ended (aborted) execution from its own description, waiting until the name settles', async () => {
    execution({ status: 'ABORTED' });
    fake.instances.delete(SOURCE);
    fake.addInstance(ASIDE, {});
    const event = { action: 'roll-back-ended', executionArn: EXECUTION };
    await expect(cutover(event, config, deps())).rejects.toMatchObject({ name: 'NameNotSettled' });
    await expect(cutover(event, config, deps())).rejects.toMatchObject({ name: 'NameNotSettled' });
    await expect(cutover(event, config, deps())).resolves.toMatchObject({ holder: 'original', alreadyDone: true });
    expect(fake.instances.has(SOURCE)).toBe(true);
  });

  it('refuses to roll back for a running execution from the EventBridge path (only ended ones)', async () => {
    await expect(cutover({ action: 'roll-back-ended', executionArn: EXECUTION }, config, deps())).rejects.toThrow(
      /it is RUNNING; allowed: ABORTED, TIMED_OUT, FAILED/,
    );
  });
});
