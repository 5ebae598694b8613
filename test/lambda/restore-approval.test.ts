import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdentityProof } from '../../cli/identity-proof.js';
import { proofPurpose, stsHost } from '../../contract/identity-proof.js';
import { type ApprovalConfig, approval } from '../../lambda/restore-approval/approval.js';
import { awsError, EXECUTION_ARN, NOW, now, restorePlan, SOURCE, TARGET } from '../support/restore-lambdas.js';
import { type StsIdentity, StsStandin } from '../support/sts-standin.js';

const REGION = 'ap-northeast-2';
const ACCOUNT = '111111111111';
const ALICE: StsIdentity = {
  accessKeyId: 'ASIAALICE',
  secretAccessKey: 'alice-secret',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/DbOperator/alice`,
  account: ACCOUNT,
};
const BOB: StsIdentity = {
  ...ALICE,
  accessKeyId: 'ASIABOB',
  secretAccessKey: 'bob-secret',
  arn: ALICE.arn.replace('alice', 'bob'),
};
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAf-task-token';

const RESTORE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:authdb-dr-dev-restore`;
const snsMock = mockClient(SNSClient);
const sns = new SNSClient({ region: REGION });
// Step Functions names the caller: a running execution of the environment's restore machine.
const sfnMock = mockClient(SFNClient);
const sfn = new SFNClient({ region: REGION });
let sts: StsStandin;
let config: ApprovalConfig;

beforeAll(async () => {
  sts = new StsStandin([ALICE, BOB], stsHost(REGION), now);
  config = {
    environment: 'dev',
    topicArn: 'arn:aws:sns:ap-northeast-2:111111111111:authdb-dr-dev-alerts',
    timeoutMinutes: 60,
    identity: { stsHost: stsHost(REGION), stsEndpoint: await sts.start(), account: ACCOUNT },
    stateMachines: { restore: RESTORE_MACHINE },
  };
});
afterAll(() => sts?.stop());
beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({});
  sfnMock.reset();
  sfnMock.on(DescribeExecutionCommand).resolves({ stateMachineArn: RESTORE_MACHINE, status: 'RUNNING' });
});

const plan = () => restorePlan({ cutover: true, startedBy: ALICE.arn, approvalRequired: true });
const deps = () => ({ sns, sfn, fetch, now });
const proof = (who: StsIdentity, executionArn = EXECUTION_ARN) =>
  createIdentityProof(who, REGION, proofPurpose('approve', executionArn), NOW);

describe('approval request', () => {
  it('tells the alert topic what is approved, by whom it was started, how to answer and until when', async () => {
    expect(await approval({ action: 'request', taskToken: TOKEN, plan: plan(), refusal: {} }, config, deps())).toEqual({
      action: 'request',
      notified: true,
    });
    const input = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe(config.topicArn);
    expect(input.Subject).toBe(`[authdb-dr dev] approval needed: cutover of ${SOURCE}`);
    expect(input.Message).toContain(`cut over to the restored instance ${TARGET}`);
    expect(input.Message).toContain(`Started by: ${ALICE.arn}`);
    expect(input.Message).toContain('npx authdb-dr restore approve --env dev --execution incident-1');
    expect(input.Message).toContain('Without an approval by 2026-11-26T06:41:00.000Z the restore ends without cutover');
    expect(input.Message).not.toContain('not accepted');
    // The task token lets anyone who holds it answer for the approver: it never leaves the state machine.
    expect(JSON.stringify(input)).not.toContain(TOKEN);
  });

  it('says why the previous approval was not accepted when it asks again', async () => {
    await approval(
      {
        action: 'request',
        taskToken: TOKEN,
        plan: plan(),
        refusal: { Error: 'ApprovalRefused', Cause: 'the same principal started the restore' },
      },
      config,
      deps(),
    );
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message).toContain(
      'The previous approval was not accepted: the same principal started the restore',
    );
  });

  it('lets a failed publish through with its name (the waiting state would otherwise wait for nothing)', async () => {
    snsMock.on(PublishCommand).rejects(awsError('AuthorizationErrorException', 'not authorized to publish'));
    await expect(
      approval({ action: 'request', taskToken: TOKEN, plan: plan(), refusal: {} }, config, deps()),
    ).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
  });
});

describe('approval check', () => {
  it('accepts another principal, naming approver and starter', async () => {
    const result = await approval(
      { action: 'check', plan: plan(), approval: { identityProof: await proof(BOB) } },
      config,
      deps(),
    );
    expect(result).toEqual({
      action: 'check',
      approvedBy: BOB.arn,
      startedBy: ALICE.arn,
      approvedAt: NOW.toISOString(),
    });
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('refuses the principal who started the restore', async () => {
    await expect(
      approval({ action: 'check', plan: plan(), approval: { identityProof: await proof(ALICE) } }, config, deps()),
    ).rejects.toMatchObject({
      name: 'ApprovalRefused',
      message:
        `Approval by ${ALICE.arn} refused: the same principal started the restore; allowed: another person ` +
        '(another IAM user, or another role session)',
    });
  });

  it('refuses a proof made for another execution', async () => {
    const other = await proof(BOB, `${EXECUTION_ARN}-other`);
    await expect(
      approval({ action: 'check', plan: plan(), approval: { identityProof: other } }, config, deps()),
    ).rejects.toMatchObject({ name: 'InvalidIdentityProof', message: expect.stringContaining('STS answered 403') });
  });

  it('fails with IdentityCheckUnavailable when STS cannot be reached', async () => {
    const unreachable = vi
      .fn<typeof fetch>()
      .mockRejectedValue(Object.assign(new Error('down'), { name: 'TypeError' }));
    await expect(
      approval({ action: 'check', plan: plan(), approval: { identityProof: await proof(BOB) } }, config, {
        ...deps(),
        fetch: unreachable,
      }),
    ).rejects.toMatchObject({
      name: 'IdentityCheckUnavailable',
      message: 'Cannot reach STS to check the proof: TypeError',
    });
  });
});

describe('approval event validation', () => {
  it('refuses a request without a task token, or for a restore that asked for no cutover, before publishing', async () => {
    await expect(
      approval({ action: 'request', taskToken: '', plan: plan(), refusal: {} }, config, deps()),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('taskToken = ""') });
    await expect(
      approval(
        { action: 'request', taskToken: TOKEN, plan: { ...plan(), cutover: false }, refusal: {} },
        config,
        deps(),
      ),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('plan.cutover = false') });
    const { startedBy: _, ...anonymous } = plan();
    await expect(
      approval({ action: 'request', taskToken: TOKEN, plan: anonymous, refusal: {} }, config, deps()),
    ).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('plan.startedBy = missing') });
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('refuses an unknown action and a check without a proof', async () => {
    await expect(approval({ action: 'approve', plan: plan() }, config, deps())).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^Invalid approval event: action = "approve"/),
    });
    await expect(approval({ action: 'check', plan: plan(), approval: {} }, config, deps())).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('approval.identityProof = missing'),
    });
  });
});

describe('restore-approval handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  function stubEnv(): void {
    vi.stubEnv('ENVIRONMENT', 'prod');
    vi.stubEnv('ALERT_TOPIC_ARN', config.topicArn);
    vi.stubEnv('APPROVAL_TIMEOUT_MINUTES', '30');
    vi.stubEnv('STATE_MACHINE_ARN', RESTORE_MACHINE);
    vi.stubEnv('STS_HOST', stsHost(REGION));
    vi.stubEnv('ACCOUNT', ACCOUNT);
  }

  it('publishes the request with the configured environment and returns only the result', async () => {
    stubEnv();
    const { handler } = await import('../../lambda/restore-approval/handler.js');
    expect(await handler({ action: 'request', taskToken: TOKEN, plan: plan(), refusal: {} })).toEqual({
      action: 'request',
      notified: true,
    });
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toContain('[authdb-dr prod]');
  });

  it('fails at load naming the missing variable', async () => {
    stubEnv();
    vi.stubEnv('STS_HOST', '');
    await expect(import('../../lambda/restore-approval/handler.js')).rejects.toThrow(
      'Missing environment variable STS_HOST',
    );
  });
});
