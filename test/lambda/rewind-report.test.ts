import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REWIND_METRICS } from '../../contract/metrics.js';
import { reportRewind } from '../../lambda/rewind-report/report.js';
import { error } from '../support/drill-lambdas.js';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const PROD = 'authdb-prod';
const REPLICA = 'authdb-prod-delayed';
const ASIDE = 'authdb-prod-pre-restore-202611301000';
const T = '2026-11-30T09:50:00.000Z';
const R = '2026-11-30T09:49:30.000Z';
const NOW = new Date('2026-11-30T10:20:00.000Z');
const config = {
  environment: 'prod',
  bucket: 'authdb-dr-prod-reports',
  topicArn: 'arn:aws:sns:x:1:alerts',
  rtoTargetSeconds: 3600,
  marginSeconds: 60,
  productionInstanceId: PROD,
};

beforeEach(() => {
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
});

/** A rewind that reached R, promoted and verified the replica (no cutover unless steps say so). */
function rewound(steps: Record<string, unknown> = {}, plan: Record<string, unknown> = {}, err: unknown = {}) {
  return {
    plan: {
      incidentTime: T,
      replicaInstanceId: REPLICA,
      startedAt: '2026-11-30T10:00:00.000Z',
      environment: 'prod',
      ...plan,
    },
    steps: {
      frozen: { frozenAt: '2026-11-30T10:00:30.000Z', at: '2026-11-30T10:01:00.000Z' },
      target: { at: '2026-11-30T10:02:00.000Z' },
      reboot: { at: '2026-11-30T10:02:30.000Z' },
      reached: { recoveryPoint: R, at: '2026-11-30T10:10:00.000Z' },
      promote: { at: '2026-11-30T10:10:30.000Z' },
      promoted: { at: '2026-11-30T10:15:00.000Z' },
      verification: { ok: true, tables: { users: { total: 10 } } },
      ...steps,
    },
    error: err,
    execution: { Name: 'incident-7', Id: 'arn:aws:states:x:1:execution:authdb-dr-prod-rewind:incident-7' },
  };
}

async function run(state: unknown) {
  const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
  const result = await reportRewind(state, config, {
    s3: new S3Client({}),
    sns: new SNSClient({}),
    metrics,
    now: () => NOW,
  });
  const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
  const publish = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
  return {
    result,
    metrics,
    report: JSON.parse(String(put.Body)),
    put,
    message: String(publish.Message),
    subject: publish.Subject,
  };
}

describe('rewind report', () => {
  it('reports a verified rewind without cutover: R before T within the margin, RTO by phase, metrics', async () => {
    const { result, metrics, report, put, message, subject } = await run(rewound());
    expect(put.Key).toBe('rewinds/prod/2026/11/incident-7.json');
    expect(result).toMatchObject({
      outcome: 'succeeded',
      recoveryPoint: R,
      recoveryGapSeconds: 30,
      promotedInstanceId: REPLICA,
      rtoSeconds: 1200,
      cutover: { requested: false, productionRenamedTo: null, completed: false, rolledBack: null },
    });
    expect(report.withinMargin).toBe(true);
    expect(report.rto).toEqual({
      targetSeconds: 3600,
      totalSeconds: 1200,
      freezeSeconds: 60,
      setTargetSeconds: 60,
      rebootAndReplaySeconds: 480,
      promoteSeconds: 300,
      verifySeconds: 300,
    });
    expect(result.next).toContain(
      `${REPLICA} is promoted and verified (data as of ${R}, before ${T}); production was not cut over`,
    );
    expect(subject).toBe('authdb-dr prod: rewind succeeded');
    expect(message).toContain(`Recovery point ${R} (30 s before T). RTO 20m00s (target 60m00s).`);
    expect(metrics.addMetric.mock.calls).toEqual([
      [REWIND_METRICS.rto, 'Seconds', 1200],
      [REWIND_METRICS.recoveryGap, 'Seconds', 30],
      [REWIND_METRICS.succeeded, 'Count', 1],
    ]);
  });

  it('judges a recovery point outside the margin (or not before T) as not within it', async () => {
    const early = await run(
      rewound({ reached: { recoveryPoint: '2026-11-30T09:40:00.000Z', at: '2026-11-30T10:10:00.000Z' } }),
    );
    expect(early.report).toMatchObject({ recoveryGapSeconds: 600, withinMargin: false });
    snsMock.resetHistory();
    s3Mock.resetHistory();
    const late = await run(rewound({ reached: { recoveryPoint: T, at: '2026-11-30T10:10:00.000Z' } }));
    expect(late.report).toMatchObject({ recoveryGapSeconds: 0, withinMargin: false });
  });

  it('after a completed cutover names production as the promoted replica and the previous one aside', async () => {
    const { result, report } = await run(
      rewound(
        {
          renameSource: { at: '2026-11-30T10:16:00.000Z' },
          renameTarget: { at: '2026-11-30T10:17:00.000Z' },
          cutOver: { at: '2026-11-30T10:18:00.000Z' },
        },
        { cutover: true, preRestoreInstanceId: ASIDE },
      ),
    );
    expect(result.cutover).toEqual({
      requested: true,
      productionRenamedTo: ASIDE,
      completed: true,
      rolledBack: null,
      // No two-person rule in this plan: the report says so rather than leaving it out.
      approval: { required: false, outcome: 'not-required' },
    });
    expect(report.rto).toMatchObject({ verifySeconds: 60, cutoverSeconds: 120 });
    expect(result.next).toContain(`${PROD} is now the promoted replica (data as of ${R}, before ${T}), same endpoint.`);
    expect(result.next).toContain(`The previous production instance is ${ASIDE}`);
  });

  it('after a failure says what happened to the cutover and the replica, and gives the restore command', async () => {
    const restore = `authdb-dr restore start --env prod --source ${PROD} --time <a time before ${T}> --target ${PROD}-restored-<n>`;
    const rolledBack = await run(
      rewound(
        {
          renameSource: { at: '2026-11-30T10:16:00.000Z' },
          rollBack: { holder: 'original', at: '2026-11-30T10:19:00.000Z' },
        },
        { cutover: true, preRestoreInstanceId: ASIDE },
        { Error: 'CutoverFailed', Cause: 'rename refused' },
      ),
    );
    expect(rolledBack.result.outcome).toBe('failed');
    expect(rolledBack.result.next).toBe(
      `The rewind failed (CutoverFailed). The cutover was rolled back: ${PROD} is held by the original instance. ` +
        `${REPLICA} was promoted: inspect it before use. Use the point-in-time restore: ${restore}`,
    );
    expect(rolledBack.report.error).toEqual({ Error: 'CutoverFailed', Cause: 'rename refused' });
    expect(rolledBack.metrics.addMetric.mock.calls).toContainEqual([REWIND_METRICS.failed, 'Count', 1]);

    snsMock.resetHistory();
    s3Mock.resetHistory();
    const stuck = await run(
      rewound({ renameSource: { at: '2026-11-30T10:16:00.000Z' } }, { cutover: true }, { Error: 'States.Timeout' }),
    );
    expect(stuck.result.next).toContain(`its roll-back did not converge: check which instance holds ${PROD}`);

    snsMock.resetHistory();
    s3Mock.resetHistory();
    const notPromoted = await run(
      rewound(
        { reached: null, promote: null, promoted: null, verification: null },
        {},
        { Error: 'RecoveryTargetNotReached' },
      ),
    );
    expect(notPromoted.result).toMatchObject({ outcome: 'failed', recoveryPoint: null, promotedInstanceId: null });
    expect(notPromoted.result.next).toContain(`${REPLICA} was not promoted. Use the point-in-time restore`);
    expect(notPromoted.metrics.addMetric.mock.calls.map((c) => c[0])).not.toContain(REWIND_METRICS.recoveryGap);
  });

  it('calls a rewind whose verification failed a failure even without a caught error', async () => {
    const { result } = await run(rewound({ verification: { ok: false, tables: {} } }));
    expect(result.outcome).toBe('failed');
    expect(result.next).toMatch(/^The rewind failed \(verification\)\./);
  });

  it('refuses a state without the plan or the execution, writing nothing', async () => {
    const { plan: _, ...withoutPlan } = rewound();
    await expect(run(withoutPlan)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Invalid rewind state: plan = missing'),
    });
    const { execution: __, ...withoutExecution } = rewound();
    await expect(run(withoutExecution)).rejects.toMatchObject({
      message: expect.stringContaining('execution = missing'),
    });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('lets a failed write through, publishing neither e-mail nor metrics', async () => {
    s3Mock.on(PutObjectCommand).rejects(error('AccessDenied', 'no s3:PutObject'));
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    await expect(
      reportRewind(rewound(), config, { s3: new S3Client({}), sns: new SNSClient({}), metrics, now: () => NOW }),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(snsMock.calls()).toHaveLength(0);
    expect(metrics.publishStoredMetrics).not.toHaveBeenCalled();
  });
});

describe('rewind-report handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  function stubEnv(): void {
    vi.stubEnv('ENVIRONMENT', 'prod');
    vi.stubEnv('REPORT_BUCKET', 'bucket-from-env');
    vi.stubEnv('ALERT_TOPIC_ARN', config.topicArn);
    vi.stubEnv('RTO_TARGET_SECONDS', '3600');
    vi.stubEnv('MARGIN_SECONDS', '60');
    vi.stubEnv('PRODUCTION_INSTANCE_ID', PROD);
  }

  it('reports to the configured bucket', async () => {
    stubEnv();
    const { handler } = await import('../../lambda/rewind-report/handler.js');
    await expect(handler(rewound())).resolves.toMatchObject({ reportKey: 'rewinds/prod/2026/11/incident-7.json' });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Bucket).toBe('bucket-from-env');
  });

  it('fails at load naming a malformed margin', async () => {
    stubEnv();
    vi.stubEnv('MARGIN_SECONDS', '1m');
    await expect(import('../../lambda/rewind-report/handler.js')).rejects.toThrow(
      'Environment variable MARGIN_SECONDS must be a whole number, got "1m"',
    );
  });
});
