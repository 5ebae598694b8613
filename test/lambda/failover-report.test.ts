import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FAILOVER_METRICS } from '../../contract/metrics.js';
import { reportFailover } from '../../lambda/failover-report/report.js';
import { awsError } from '../support/restore-lambdas.js';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const NOW = new Date('2026-11-30T10:30:00.000Z');
const FAILURE = '2026-11-30T09:50:00.000Z';
const config = {
  environment: 'prod',
  region: 'ap-southeast-1',
  bucket: 'authdb-dr-prod-dr-reports',
  topicArn: 'arn:aws:sns:ap-southeast-1:111111111111:alerts',
  rtoTargetSeconds: 3600,
  rpoTargetSeconds: 300,
  databaseName: 'authdb',
};

beforeEach(() => {
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
});

/** A failover that promoted the standby, found it available and verified it (steps override). */
function failedOver(steps: Record<string, unknown> = {}, plan: Record<string, unknown> = {}, error: unknown = {}) {
  return {
    plan: {
      mode: 'promote',
      writerInstanceId: 'authdb-prod-standby',
      primaryInstanceId: 'authdb-prod',
      failureTime: FAILURE,
      recoveryPoint: null,
      ...plan,
    },
    steps: {
      lastReplayed: { lastReplayedCommit: '2026-11-30T09:49:40.000Z' },
      started: { at: '2026-11-30T10:01:00.000Z' },
      available: { at: '2026-11-30T10:10:00.000Z', endpoint: { host: 'standby.example', port: 5432 } },
      verification: { ok: true, summary: 'All 3 tables present', verifiedAt: '2026-11-30T10:12:00.000Z' },
      ...steps,
    },
    error,
    execution: {
      Id: 'arn:aws:states:ap-southeast-1:111111111111:execution:authdb-dr-prod-failover:incident-7',
      Name: 'incident-7',
      StartTime: '2026-11-30T10:00:00.000Z',
    },
  };
}

async function run(state: unknown) {
  const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
  const report = await reportFailover(state, config, {
    s3: new S3Client({ region: 'ap-southeast-1' }),
    sns: new SNSClient({ region: 'ap-southeast-1' }),
    metrics,
    now: () => NOW,
  });
  return { report, metrics };
}

describe('failover-report', () => {
  it('reports a promotion: RPO from the last replayed commit, RTO phases, what applications change', async () => {
    const { report, metrics } = await run(failedOver());
    expect(report).toMatchObject({
      outcome: 'succeeded',
      writer: { instanceId: 'authdb-prod-standby', endpoint: 'standby.example', port: 5432 },
      rto: { totalSeconds: 720, phases: { validate: 60, untilAvailable: 540, verify: 120 } },
      rpo: { seconds: 20, targetSeconds: 300 },
      error: null,
    });
    expect(report.applicationChanges[0]).toContain('standby.example (port 5432), in ap-southeast-1');
    expect(metrics.addMetric.mock.calls).toEqual([
      [FAILOVER_METRICS.succeeded, 'Count', 1],
      [FAILOVER_METRICS.rto, 'Seconds', 720],
      [FAILOVER_METRICS.rpo, 'Seconds', 20],
    ]);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledOnce();
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: config.bucket,
      Key: 'failovers/prod/2026/11/incident-7.json',
    });
    const sent = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(sent.Subject).toBe('authdb-dr prod failover succeeded');
    expect(sent.Message).toContain('RTO 720 s (target 3600 s); RPO 20 s (target 300 s)');
  });

  it('measures the RPO of a restore from the planned recovery point', async () => {
    const { report } = await run(
      failedOver({ lastReplayed: null }, { mode: 'pitr', recoveryPoint: '2026-11-30T09:45:00.000Z' }),
    );
    expect(report.rpo).toMatchObject({ seconds: 300 });
    expect(report.rpo.basis).toContain('minus the recovery point 2026-11-30T09:45:00.000Z');
  });

  it('leaves the RPO unknown when the standby reported no replayed commit', async () => {
    const { report, metrics } = await run(failedOver({ lastReplayed: { lastReplayedCommit: null } }));
    expect(report.rpo.seconds).toBeUndefined();
    expect(report.rpo.basis).toContain('last replayed commit unknown');
    expect(metrics.addMetric.mock.calls.map((c) => c[0])).not.toContain(FAILOVER_METRICS.rpo);
  });

  it('fails when verification failed, counting a failure only', async () => {
    const { report, metrics } = await run(
      failedOver({ verification: { ok: false, summary: 'tables missing: audit_logs', verifiedAt: NOW.toISOString() } }),
    );
    expect(report.outcome).toBe('failed');
    expect(metrics.addMetric.mock.calls).toEqual([[FAILOVER_METRICS.failed, 'Count', 1]]);
  });

  it('fails with the workflow error and no endpoint when the writer never became available', async () => {
    const { report, metrics } = await run(
      failedOver(
        { available: null, verification: null },
        {},
        { Error: 'WriterTimedOut', Cause: 'authdb-prod-standby still modifying after 1800 s' },
      ),
    );
    expect(report).toMatchObject({
      outcome: 'failed',
      writer: { endpoint: null, port: null },
      applicationChanges: [],
      error: { Error: 'WriterTimedOut' },
    });
    expect(metrics.addMetric.mock.calls).toEqual([[FAILOVER_METRICS.failed, 'Count', 1]]);
    const message = snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message;
    expect(message).toContain('(no endpoint)');
    expect(message).toContain('Error: WriterTimedOut: authdb-prod-standby still modifying after 1800 s');
  });

  it('rejects a state without a plan, naming the field, before publishing anything', async () => {
    const state: Record<string, unknown> = failedOver();
    delete state.plan;
    await expect(run(state)).rejects.toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('plan') });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('passes on an S3 error and sends no summary', async () => {
    s3Mock.on(PutObjectCommand).rejects(awsError('AccessDenied'));
    await expect(run(failedOver())).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('passes on an SNS error after the report is stored', async () => {
    snsMock.on(PublishCommand).rejects(awsError('AuthorizationErrorException'));
    await expect(run(failedOver())).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
  });
});

describe('failover-report handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  function stubEnv(): void {
    vi.stubEnv('ENVIRONMENT', 'prod');
    vi.stubEnv('AWS_REGION', 'ap-southeast-1');
    vi.stubEnv('REPORT_BUCKET', 'bucket-from-env');
    vi.stubEnv('ALERT_TOPIC_ARN', config.topicArn);
    vi.stubEnv('RTO_TARGET_SECONDS', '3600');
    vi.stubEnv('RPO_TARGET_SECONDS', '300');
    vi.stubEnv('DATABASE_NAME', 'authdb');
  }

  it('reports to the configured bucket', async () => {
    stubEnv();
    const { handler } = await import('../../lambda/failover-report/handler.js');
    await expect(handler(failedOver())).resolves.toMatchObject({ outcome: 'succeeded' });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Bucket).toBe('bucket-from-env');
  });

  it('fails at load naming a missing or malformed variable', async () => {
    stubEnv();
    vi.stubEnv('ALERT_TOPIC_ARN', '');
    await expect(import('../../lambda/failover-report/handler.js')).rejects.toThrow(
      'Missing environment variable ALERT_TOPIC_ARN',
    );
    vi.resetModules();
    vi.stubEnv('ALERT_TOPIC_ARN', config.topicArn);
    vi.stubEnv('RPO_TARGET_SECONDS', '5m');
    await expect(import('../../lambda/failover-report/handler.js')).rejects.toThrow(
      'Environment variable RPO_TARGET_SECONDS must be a whole number, got "5m"',
    );
  });
});
