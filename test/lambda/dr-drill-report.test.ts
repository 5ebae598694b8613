import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DR_REGION_DRILL_METRICS as M } from '../../contract/metrics.js';
import { buildDrReport, reportDrRegionDrill } from '../../lambda/dr-drill-report/report.js';
import type { ReportConfig } from '../../lambda/drill-report/report.js';
import { EXECUTION_NAME, error, plan, succeeded } from '../support/drill-lambdas.js';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const BACKUPS = 'arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-newest';
const REPORTED = new Date('2026-11-25T01:20:00.000Z');
const config: ReportConfig = {
  environment: 'dev',
  bucket: 'authdb-dr-dev-dr-reports',
  topicArn: 'arn:aws:sns:ap-southeast-1:111111111111:authdb-dr-dev-alerts',
  rtoTargetSeconds: 900,
  rpoTargetSeconds: 300,
};
const reachable = { reachable: true, region: 'ap-northeast-2', checkedAt: '2026-11-25T01:00:05.000Z' };
const unreachable = { ...reachable, reachable: false, reason: 'Primary region unreachable: timeout' };
const drPlan = (primary: typeof reachable = reachable) => ({
  ...plan,
  mode: 'point-in-time' as const,
  region: 'ap-southeast-1',
  automatedBackupsArn: BACKUPS,
  primary,
});

beforeEach(() => {
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
});

async function run(state: unknown) {
  const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
  const result = await reportDrRegionDrill(state, config, {
    s3: new S3Client({}),
    sns: new SNSClient({}),
    metrics,
    now: () => REPORTED,
  });
  const publish = snsMock.commandCalls(PublishCommand)[0]!.args[0].input;
  return { result, metrics, subject: String(publish.Subject), message: String(publish.Message) };
}

describe('DR-region drill report', () => {
  it('reports an exact comparison when the primary was counted at C, with the DR-region metrics', async () => {
    const { result, metrics, subject, message } = await run({ ...succeeded(), plan: drPlan() });
    expect(result).toEqual({
      reportKey: `drills/dev/2026/11/${EXECUTION_NAME}.json`,
      outcome: 'succeeded',
      comparison: 'exact',
    });
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put.Bucket).toBe(config.bucket);
    expect(JSON.parse(String(put.Body))).toMatchObject({
      kind: 'dr-region-drill',
      region: 'ap-southeast-1',
      automatedBackupsArn: BACKUPS,
      primary: reachable,
      comparison: { kind: 'exact' },
    });
    expect(metrics.addMetric.mock.calls).toEqual([
      [M.succeeded, 'Count', 1],
      [M.failed, 'Count', 0],
      [M.rpoLag, 'Seconds', 240],
      [M.primaryUnreachable, 'Count', 0],
      [M.rto, 'Seconds', 900],
    ]);
    expect(subject).toContain('DR-region drill (ap-southeast-1)');
    expect(subject).not.toContain('DR drill');
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(message).toMatch(/^DR-region drill in ap-southeast-1, from the replicated automated backups\.\n/);
    expect(message).toContain('Compared exactly with authdb-dev counted in ap-northeast-2 at the restore time.');
  });

  it('reports totals only with the reason when the primary region did not answer, and counts it unreachable', async () => {
    const { sourceCounts: _, ...state } = succeeded();
    const { result, metrics, message } = await run({ ...state, plan: drPlan(unreachable) });
    expect(result.comparison).toBe('totals-only');
    expect(metrics.addMetric.mock.calls).toContainEqual([M.primaryUnreachable, 'Count', 1]);
    expect(message).toContain('Totals only, not compared: Primary region unreachable: timeout');
  });

  it('names the counting error when the primary answered but could not be counted', () => {
    const { sourceCounts: _, ...state } = succeeded();
    const report = buildDrReport(
      { ...state, plan: drPlan(), primaryError: { Error: 'Error', Cause: 'connect ETIMEDOUT' } },
      config,
      REPORTED,
    );
    expect(report.comparison).toEqual({
      kind: 'totals-only',
      reason: 'The primary answered in ap-northeast-2 but could not be counted: Error: connect ETIMEDOUT',
    });
    const { sourceCounts: __, ...uncounted } = succeeded();
    expect(buildDrReport({ ...uncounted, plan: drPlan() }, config, REPORTED).comparison).toEqual({
      kind: 'totals-only',
      reason: 'the primary was not counted',
    });
  });

  it('reports a failed drill without the RTO it never measured', async () => {
    const { result, metrics } = await run({
      plan: drPlan(),
      error: { Error: 'SourceNotAvailable', Cause: 'No restorable replicated automated backups' },
    });
    expect(result.outcome).toBe('failed');
    expect(metrics.addMetric.mock.calls).toContainEqual([M.failed, 'Count', 1]);
    expect(metrics.addMetric.mock.calls.map((c) => c[0])).not.toContain(M.rto);
  });

  it('refuses a state without the DR-region plan fields, writing nothing', async () => {
    await expect(run({ ...succeeded(), plan })).rejects.toMatchObject({ name: 'InvalidInput' });
    expect(s3Mock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('lets a failed write through before any e-mail is sent', async () => {
    s3Mock.on(PutObjectCommand).rejects(error('AccessDenied', 'no s3:PutObject'));
    await expect(run({ ...succeeded(), plan: drPlan() })).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(snsMock.calls()).toHaveLength(0);
  });
});

describe('dr-drill-report handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  function stubEnv(): void {
    vi.stubEnv('ENVIRONMENT', 'dev');
    vi.stubEnv('REPORT_BUCKET', 'bucket-from-env');
    vi.stubEnv('ALERT_TOPIC_ARN', config.topicArn);
    vi.stubEnv('RTO_TARGET_SECONDS', '900');
    vi.stubEnv('RPO_TARGET_SECONDS', '300');
  }

  it('writes to the configured bucket', async () => {
    stubEnv();
    const { handler } = await import('../../lambda/dr-drill-report/handler.js');
    await expect(handler({ ...succeeded(), plan: drPlan() })).resolves.toMatchObject({ outcome: 'succeeded' });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Bucket).toBe('bucket-from-env');
  });

  it('fails at load naming a missing RPO target', async () => {
    stubEnv();
    vi.stubEnv('RPO_TARGET_SECONDS', '');
    await expect(import('../../lambda/dr-drill-report/handler.js')).rejects.toThrow(
      'Missing environment variable RPO_TARGET_SECONDS',
    );
  });
});
