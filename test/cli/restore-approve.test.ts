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
