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

describe('restore cutover function, called by the rewind', () => {
  const REWIND_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:authdb-dr-prod-rewind`;
  const REWIND_EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:authdb-dr-prod-rewind:bad-write-1`;
  const REPLICA = 'authdb-prod-delayed';
  const REWIND_INPUT = { incidentTime: '2026-11-26T05:30:00Z', cutover: { confirmSourceInstanceId: SOURCE } };
  const withRewind = { ...config, rewind: { stateMachineArn: REWIND_MACHINE, targetInstanceId: REPLICA } };
  const rewindPlan = (more: Record<string, unknown> = {}) =>
    plan({ targetInstanceId: REPLICA, executionArn: REWIND_EXECUTION, ...more });
  function rewindExecution(more: Record<string, unknown> = {}) {
    execution({
      executionArn: REWIND_EXECUTION,
      stateMachineArn: REWIND_MACHINE,
      input: JSON.stringify(REWIND_INPUT),
      ...more,
    });
  }

  beforeEach(() => {
    fake.addInstance(REPLICA, {});
    rewindExecution();
  });

  it('renames production aside, then the promoted replica (from its own configuration) into its name', async () => {
    await expect(cutover({ action: 'rename-source', plan: rewindPlan() }, withRewind, deps())).resolves.toMatchObject({
      from: SOURCE,
      to: ASIDE,
    });
    await expect(cutover({ action: 'rename-target', plan: rewindPlan() }, withRewind, deps())).resolves.toMatchObject({
      from: REPLICA,
      to: SOURCE,
    });
    expect(fake.instances.has(REPLICA)).toBe(false);
    expect(fake.instances.get(SOURCE)?.tags).toEqual([]);
    expect(fake.instances.has(ASIDE)).toBe(true);
  });

  it('refuses a rewind where no rewind state machine is configured', async () => {
    await expect(cutover({ action: 'rename-source', plan: rewindPlan() }, config, deps())).rejects.toThrow(
      /not an execution of .*authdb-dr-prod-restore$/,
    );
    expect(fake.mutations()).toEqual([]);
  });

  it.each([
    ['asked for no cutover', { incidentTime: REWIND_INPUT.incidentTime }, /asked for no cutover/],
    ['has an input that is not a rewind input', 'not json', /its input is not a rewind input/],
    [
      'confirmed another instance',
      { ...REWIND_INPUT, cutover: { confirmSourceInstanceId: 'authdb-staging' } },
      /its cutover confirms "authdb-staging", not authdb-prod/,
    ],
  ])('refuses a rewind execution that %s, renaming nothing', async (_, input, message) => {
    rewindExecution({ input: typeof input === 'string' ? input : JSON.stringify(input) });
    await expect(cutover({ action: 'rename-source', plan: rewindPlan() }, withRewind, deps())).rejects.toThrow(message);
    expect(fake.mutations()).toEqual([]);
  });

  it('refuses a rewind plan naming another target than the configured replica', async () => {
    const error = await cutover(
      { action: 'rename-target', plan: rewindPlan({ targetInstanceId: `${SOURCE}-restored-1` }) },
      withRewind,
      deps(),
    ).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'NotCalledByRestore', message: expect.stringMatching(/the execution allows/) });
    expect(fake.mutations()).toEqual([]);
  });

  it('rolls back an aborted rewind; the promoted replica holding the name counts as the restored one', async () => {
    rewindExecution({ status: 'ABORTED' });
    const event = { action: 'roll-back-ended', executionArn: REWIND_EXECUTION };
    // Cut over completely before the abort: the replica holds the name, production is aside.
    fake.instances.delete(SOURCE);
    fake.instances.delete(REPLICA);
    fake.addInstance(SOURCE, {});
    fake.addInstance(ASIDE, {});
    await expect(cutover(event, withRewind, deps())).resolves.toMatchObject({ holder: 'restored', alreadyDone: true });
    expect(fake.mutations()).toEqual([]);
  });

  it('has nothing to roll back for an ended rewind that asked for no cutover', async () => {
    rewindExecution({ status: 'TIMED_OUT', input: JSON.stringify({ incidentTime: REWIND_INPUT.incidentTime }) });
    await expect(
      cutover({ action: 'roll-back-ended', executionArn: REWIND_EXECUTION }, withRewind, deps()),
    ).resolves.toMatchObject({ alreadyDone: true, from: SOURCE, to: SOURCE });
    expect(fake.mutations()).toEqual([]);
  });
});
