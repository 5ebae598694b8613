import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CliDeps, run } from '../../cli/main.js';
import { proofPurpose, stsHost } from '../../contract/identity-proof.js';
import { verifyIdentityProof } from '../../lambda/shared/identity-proof.js';
import { knownEnvironments, loadConfig } from '../../lib/config/load.js';
import { StsStandin } from '../support/sts-standin.js';

const sfnMock = mockClient(SFNClient);
const prod = loadConfig('prod');
const REGION = prod.primaryRegion;
const MACHINE = `arn:aws:states:${REGION}:${prod.account}:stateMachine:authdb-dr-prod-restore`;
const EXEC = `arn:aws:states:${REGION}:${prod.account}:execution:authdb-dr-prod-restore:r-1`;
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAd-secret-task-token';
const NOW = new Date('2026-11-30T10:00:00Z');
const OPERATOR = { accessKeyId: 'ASIABOB', secretAccessKey: 'bob-secret', sessionToken: 'bob-session' };
const BOB_ARN = `arn:aws:sts::${prod.account}:assumed-role/DbOperator/bob`;

let sts: StsStandin;
let stsEndpoint: string;
beforeAll(async () => {
  sts = new StsStandin([{ ...OPERATOR, arn: BOB_ARN, account: prod.account }], stsHost(REGION), () => NOW);
  stsEndpoint = await sts.start();
});
afterAll(async () => {
  await sts.stop();
  sfnMock.restore();
});

function harness() {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    sfn: (region) => new SFNClient({ region, credentials: OPERATOR }),
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    now: () => NOW,
    sleep: async () => {},
    tty: false,
    environments: knownEnvironments,
    config: (name) => loadConfig(name),
  };
  return { deps, out: () => out, err: () => err };
}

const ev = (id: number, type: string, more: Partial<HistoryEvent> = {}): HistoryEvent => ({
  id,
  type: type as HistoryEvent['type'],
  timestamp: NOW,
  ...more,
});
/** History (newest first) of an execution waiting in RequestApproval. */
const WAITING: HistoryEvent[] = [
  ev(41, 'TaskSubmitted'),
  ev(40, 'TaskScheduled', {
    taskScheduledEventDetails: {
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: REGION,
      parameters: JSON.stringify({ FunctionName: 'f', Payload: { action: 'request', taskToken: TOKEN, plan: {} } }),
    },
  }),
  ev(39, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'RequestApproval' } }),
  ev(38, 'PassStateExited', { stateExitedEventDetails: { name: 'AwaitApproval' } }),
];

beforeEach(() => {
  sfnMock.reset();
  sfnMock
    .on(DescribeExecutionCommand)
    .resolves({ executionArn: EXEC, stateMachineArn: MACHINE, status: 'RUNNING', startDate: NOW });
  sfnMock.on(GetExecutionHistoryCommand).resolves({ events: WAITING });
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
});

const identity = () => ({ stsHost: stsHost(REGION), stsEndpoint, account: prod.account, fetch, now: () => NOW });

describe('authdb-dr restore approve (the second person of the two-person rule)', () => {
  it("answers the waiting approval with a proof of the caller's identity bound to this execution", async () => {
    const h = harness();
    expect(await run(['restore', 'approve', '--env', 'prod', '--execution', 'r-1'], h.deps)).toBe(0);
    const [call] = sfnMock.commandCalls(SendTaskSuccessCommand);
    expect(call!.args[0].input.taskToken).toBe(TOKEN);
    const { identityProof } = JSON.parse(call!.args[0].input.output!) as { identityProof: string };
    // What CheckApproval does with it: STS names the operator, for the approval of r-1 only.
    const check = identity();
    await expect(verifyIdentityProof(identityProof, proofPurpose('approve', EXEC), check)).resolves.toMatchObject({
      arn: BOB_ARN,
    });
    await expect(verifyIdentityProof(identityProof, proofPurpose('start', EXEC), check)).rejects.toThrow(
      /SignatureDoesNotMatch/,
    );
    // The task token is a handle on the execution: never shown.
    expect(h.out() + h.err()).not.toContain(TOKEN);
    expect(h.err()).toContain('Approval of r-1 sent');
  });

  it('rejects with --reject: the restore ends without cutover', async () => {
    const h = harness();
    const code = await run(
      ['restore', 'approve', '--env', 'prod', '--execution', 'r-1', '--reject', '--reason', 'wrong point in time'],
      h.deps,
    );
    expect(code).toBe(0);
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toEqual({
      taskToken: TOKEN,
      error: 'CutoverRejected',
      cause: 'Cutover rejected with authdb-dr restore approve --reject: wrong point in time',
    });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('refuses an execution that is not waiting for approval (exit 2), sending nothing', async () => {
    sfnMock.on(GetExecutionHistoryCommand).resolves({
      events: [ev(12, 'TaskStateEntered', { stateEnteredEventDetails: { name: 'Verify' } }), ...WAITING.slice(1)],
    });
    const h = harness();
    expect(await run(['restore', 'approve', '--env', 'prod', '--execution', 'r-1'], h.deps)).toBe(2);
    expect(h.err()).toContain('execution r-1 is not waiting for a cutover approval (it is at Verify)');
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: WAITING });
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: EXEC, stateMachineArn: MACHINE, status: 'SUCCEEDED' });
    const h2 = harness();
    expect(await run(['restore', 'approve', '--env', 'prod', '--execution', 'r-1'], h2.deps)).toBe(2);
    expect(h2.err()).toContain('execution r-1 is SUCCEEDED; allowed: a running restore waiting for approval');
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });
});

describe('authdb-dr restore start --cutover-confirm where a second person approves', () => {
  const args = (env: string) => [
    'restore',
    'start',
    '--env',
    env,
    '--source',
    `authdb-${env}`,
    '--time',
    'latest',
    '--target',
    `authdb-${env}-restored-1`,
    '--cutover-confirm',
    `authdb-${env}`,
  ];

  it('names the execution and sends a proof of who starts it, bound to that execution (prod)', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .callsFake(({ name }) => ({ executionArn: `${EXEC.replace(/r-1$/, name)}`, startDate: NOW }));
    const h = harness();
    expect(await run(args('prod'), h.deps)).toBe(0);
    const start = sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start.name).toMatch(/^restore-20261130100000-[0-9a-f]{8}$/);
    const input = JSON.parse(start.input!) as { cutover: { identityProof: string } };
    const arn = EXEC.replace(/r-1$/, start.name!);
    await expect(
      verifyIdentityProof(input.cutover.identityProof, proofPurpose('start', arn), identity()),
    ).resolves.toMatchObject({ arn: BOB_ARN });
  });

  it('adds no proof where no approval is required (dev) and in a dry run', async () => {
    const dev = loadConfig('dev');
    sfnMock.on(StartExecutionCommand).resolves({
      executionArn: `arn:aws:states:${dev.primaryRegion}:${dev.account}:execution:authdb-dr-dev-restore:x`,
      startDate: NOW,
    });
    const h = harness();
    expect(await run(args('dev'), h.deps)).toBe(0);
    const start = sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(start.name).toBeUndefined();
    expect(JSON.parse(start.input!).cutover).toEqual({ confirmSourceInstanceId: 'authdb-dev' });
    const dry = harness();
    expect(await run([...args('prod'), '--dry-run'], dry.deps)).toBe(0);
    expect(dry.out()).not.toContain('identityProof');
  });
});

describe('the rewind: rewind start --confirm-cutover proves who starts it, rewind approve answers (issue 8)', () => {
  const REWIND_EXEC = `arn:aws:states:${REGION}:${prod.account}:execution:authdb-dr-prod-rewind:rw-1`;
  const REWIND_MACHINE = `arn:aws:states:${REGION}:${prod.account}:stateMachine:authdb-dr-prod-rewind`;
  const T = '2026-11-30T09:50:00Z';
  const start = ['rewind', 'start', '--env', 'prod', '--incident-time', T, '--confirm-cutover', 'authdb-prod'];

  it('names the execution and sends a proof of who starts it, bound to that rewind execution (prod)', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .callsFake(({ name }) => ({ executionArn: REWIND_EXEC.replace(/rw-1$/, name), startDate: NOW }));
    const h = harness();
    expect(await run(start, h.deps)).toBe(0);
    const call = sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.stateMachineArn).toBe(REWIND_MACHINE);
    expect(call.name).toMatch(/^rewind-20261130100000-[0-9a-f]{8}$/);
    const input = JSON.parse(call.input!) as { cutover: { confirmSourceInstanceId: string; identityProof: string } };
    expect(input.cutover.confirmSourceInstanceId).toBe('authdb-prod');
    const arn = REWIND_EXEC.replace(/rw-1$/, call.name!);
    await expect(
      verifyIdentityProof(input.cutover.identityProof, proofPurpose('start', arn), identity()),
    ).resolves.toMatchObject({ arn: BOB_ARN });
    // Bound to this execution: the restore's (or any other) start does not accept it.
    await expect(
      verifyIdentityProof(input.cutover.identityProof, proofPurpose('start', EXEC), identity()),
    ).rejects.toThrow(/SignatureDoesNotMatch/);
    expect(h.err()).toContain(
      `once verified and approved by a second person (npx authdb-dr rewind approve --env prod --execution ${call.name})`,
    );
    expect(h.out() + h.err()).not.toContain(input.cutover.identityProof);
  });

  it('keeps a --name given, and adds no proof to a dry run or to a rewind without cutover', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: REWIND_EXEC, startDate: NOW });
    const named = harness();
    expect(await run([...start, '--name', 'rw-1'], named.deps)).toBe(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.name).toBe('rw-1');
    sfnMock.resetHistory();
    sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: REWIND_EXEC, status: 'SUCCEEDED', startDate: NOW });
    const dry = harness();
    expect(await run([...start, '--dry-run'], dry.deps)).toBe(0);
    const plain = harness();
    expect(await run(start.slice(0, 6), plain.deps)).toBe(0);
    const inputs = sfnMock.commandCalls(StartExecutionCommand).map((c) => JSON.parse(c.args[0].input.input!));
    expect(inputs).toHaveLength(2);
    expect(inputs[0].cutover).toEqual({ confirmSourceInstanceId: 'authdb-prod' });
    expect(inputs[1].cutover).toBeUndefined();
  });

  it('approves a rewind execution waiting in RequestApproval, with `rewind approve` and `restore approve` alike', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves({ executionArn: REWIND_EXEC, stateMachineArn: REWIND_MACHINE, status: 'RUNNING', startDate: NOW });
    for (const command of ['rewind', 'restore']) {
      sfnMock.resetHistory();
      const h = harness();
      expect(await run([command, 'approve', '--env', 'prod', '--execution', REWIND_EXEC], h.deps)).toBe(0);
      const [call] = sfnMock.commandCalls(SendTaskSuccessCommand);
      expect(call!.args[0].input.taskToken).toBe(TOKEN);
      const { identityProof } = JSON.parse(call!.args[0].input.output!) as { identityProof: string };
      await expect(
        verifyIdentityProof(identityProof, proofPurpose('approve', REWIND_EXEC), identity()),
      ).resolves.toMatchObject({ arn: BOB_ARN });
      expect(h.err()).toContain('accepts it only from a person other than the one who started the rewind');
    }
    const h = harness();
    const code = await run(['rewind', 'approve', '--env', 'prod', '--execution', REWIND_EXEC, '--reject'], h.deps);
    expect(code).toBe(0);
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({
      error: 'CutoverRejected',
      cause: 'Cutover rejected with authdb-dr rewind approve --reject',
    });
    expect(h.err()).toContain('the rewind ends without cutover (production is unchanged, the promoted replica stays)');
  });

  it('refuses to approve an execution of a workflow without cutover (a drill), sending nothing', async () => {
    const drill = `arn:aws:states:${REGION}:${prod.account}:execution:authdb-dr-prod-drill:d-1`;
    const h = harness();
    expect(await run(['rewind', 'approve', '--env', 'prod', '--execution', drill], h.deps)).toBe(2);
    expect(h.err()).toContain('allowed: a restore or rewind execution (the workflows with a cutover');
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });
});
