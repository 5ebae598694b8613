import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { buildReport, type ReportConfig, reportDrill, summarize } from '../../lambda/drill-report/report.js';
import type { DrillState } from '../../lambda/shared/drill.js';
import {
  EXECUTION_ARN,
  EXECUTION_NAME,
  plan,
  resetDrillMocks,
  SCRATCH,
  SOURCE,
  STARTED_AT,
  succeeded,
  tableVerdict,
} from '../support/drill-lambdas.js';

const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);

beforeEach(() => {
  resetDrillMocks();
  s3Mock.reset();
  snsMock.reset();
});

describe('drill report', () => {
  const config: ReportConfig = {
    environment: 'dev',
    bucket: 'authdb-dr-dev-reports',
    topicArn: 'arn:aws:sns:ap-northeast-2:111111111111:authdb-dr-dev-alerts',
    rtoTargetSeconds: 900,
    rpoTargetSeconds: 300,
  };
  const REPORTED = new Date('2026-11-25T01:20:00.000Z');

  it('computes the RTO phases from the state: requested -> available -> verified', () => {
    const report = buildReport(succeeded(), config, REPORTED);
    expect(report.rto).toEqual({
      targetSeconds: 900,
      restoreRequestedAt: '2026-11-25T01:02:00.000Z',
      availableAt: '2026-11-25T01:12:00.000Z',
      verifiedAt: '2026-11-25T01:17:00.000Z',
      restoreSeconds: 600,
      verifySeconds: 300,
      totalSeconds: 900,
      withinTarget: true,
    });
    expect(report).toMatchObject({
      kind: 'dr-drill',
      environment: 'dev',
      outcome: 'succeeded',
      execution: { arn: EXECUTION_ARN, name: EXECUTION_NAME, startedAt: STARTED_AT },
      mode: 'point-in-time',
      sourceInstanceId: SOURCE,
      scratchInstanceId: SCRATCH,
      restoreTime: '2026-11-25T01:01:10.000Z',
      mismatchedTables: [],
      cleanup: { action: 'deleted' },
      reportedAt: REPORTED.toISOString(),
    });
    expect(report).not.toHaveProperty('error');
    expect(report).not.toHaveProperty('snapshot');
  });

  it('is within the RTO target at exactly the target, not one second later', () => {
    expect(buildReport(succeeded('2026-11-25T01:17:00.000Z'), config, REPORTED).rto).toMatchObject({
      totalSeconds: 900,
      withinTarget: true,
    });
    expect(buildReport(succeeded('2026-11-25T01:17:01.000Z'), config, REPORTED).rto).toMatchObject({
      totalSeconds: 901,
      withinTarget: false,
    });
  });

  it('judges the RPO lag against the target, and reports the freshness the restore proves', () => {
    const at = (lagSeconds: number) =>
      buildReport({ ...succeeded(), plan: { ...plan, rpo: { ...plan.rpo, lagSeconds } } }, config, REPORTED).rpo;
    expect(at(240)).toEqual({
      targetSeconds: 300,
      latestRestorableTime: '2026-11-25T00:56:00.000Z',
      lagSeconds: 240,
      freshnessSeconds: 5,
      withinTarget: true,
    });
    expect(at(300).withinTarget).toBe(true);
    expect(at(301).withinTarget).toBe(false);
  });

  it('names the tables that did not match and fails the drill', () => {
    const state = succeeded();
    if (state.verification?.compared !== true) throw new Error('unreachable');
    state.verification.ok = false;
    state.verification.complete = false;
    state.verification.verification.tables[0] = tableVerdict('users', -1);
    state.error = { Error: 'VerificationMismatch', Cause: 'Restore verification failed: users: ...' };
    const report = buildReport(state, config, REPORTED);
    expect(report.outcome).toBe('failed');
    expect(report.mismatchedTables).toEqual(['users']);
  });

  it('lists per table the counts, the digest match, schema differences and the newest row vs the recovery point', () => {
    const state = succeeded();
    if (state.verification?.compared !== true) throw new Error('unreachable');
    const v = state.verification.verification;
    v.ok = false;
    v.tables[0] = {
      ...tableVerdict('users', 0),
      digest: {
        match: false,
        judged: true,
        mismatchedRanges: [{ from: '1001', to: '2000', sourceRows: 98, restoredRows: 98 }],
        sampleIds: ['1234'],
      },
    };
    v.tables[1] = {
      ...tableVerdict('platform_accounts', 0),
      digest: { match: true, judged: true, mismatchedRanges: [] },
    };
    v.schemaDifferences = [
      { kind: 'index', name: 'audit_logs.audit_logs_user_idx', source: 'CREATE INDEX audit_logs_user_idx ...' },
      { kind: 'extension', name: 'pg_trgm', source: '1.6' },
    ];
    const report = buildReport(state, config, REPORTED);
    expect(report.tables).toEqual([
      {
        table: 'users',
        compared: 'settled',
        sourceCount: 98,
        restoredCount: 98,
        sourceTotal: 100,
        restoredTotal: 100,
        digestMatch: false,
        differingKeys: ['1234'],
        schemaDifferences: [],
        newestRow: '2026-11-25T01:01:05.000Z',
        // restore time 01:01:10
        newestBeforeRecoveryPointSeconds: 5,
        ok: false,
      },
      expect.objectContaining({ table: 'platform_accounts', digestMatch: true, ok: true }),
      expect.objectContaining({
        table: 'audit_logs',
        schemaDifferences: ['index audit_logs.audit_logs_user_idx missing in the restore'],
        ok: false,
      }),
    ]);
    expect(report.databaseSchemaDifferences).toEqual(['extension pg_trgm missing in the restore']);
    expect(report.mismatchedTables).toEqual(['users', 'audit_logs']);
    const { message } = summarize(report, 's3://b/k');
    expect(message).toContain(
      'FAIL users: 98 settled rows in the source, 98 restored, content digest DIFFERS (keys 1234), newest row 0m05s before the recovery point',
    );
    expect(message).toContain(
      'ok   platform_accounts: 98 settled rows in the source, 98 restored, content digest matches',
    );
    expect(message).toContain(
      'FAIL audit_logs: 98 settled rows in the source, 98 restored, schema: index audit_logs.audit_logs_user_idx missing in the restore',
    );
    expect(message).toContain('FAIL database schema: extension pg_trgm missing in the restore');
  });

  it('reports a snapshot drill uncompared, with freshness measured from the snapshot time', () => {
    const snapshot = {
      identifier: 'arn:aws:rds:ap-northeast-2:111111111111:snapshot:awsbackup:job-0aa',
      createdAt: '2026-11-24T18:10:00.000Z',
    };
    const state: DrillState = {
      ...succeeded(),
      plan: { ...plan, mode: 'latest-snapshot', snapshot },
      sourceCounts: undefined,
      restore: { instanceId: SCRATCH, requestedAt: '2026-11-25T01:02:00.000Z', alreadyRequested: false },
      verification: {
        compared: false,
        ok: true,
        complete: true,
        summary: '3 tables counted (snapshot restore: not compared)',
        verifiedAt: '2026-11-25T01:17:00.000Z',
        report: {
          ok: true,
          compared: false,
          cutoff: snapshot.createdAt,
          newest: '2026-11-24T18:08:30.000Z',
          tables: { users: { total: 100, settled: 100, newest: '2026-11-24T18:08:30.000Z' } },
          missingTables: [],
        },
      },
    };
    const report = buildReport(state, config, REPORTED);
    expect(report).toMatchObject({
      outcome: 'succeeded',
      mode: 'latest-snapshot',
      snapshot,
      verification: { compared: false },
      mismatchedTables: [],
      rpo: { freshnessSeconds: 90 },
      rto: { totalSeconds: 900 },
    });
    expect(report).not.toHaveProperty('restoreTime');
  });

  it('reports a failed drill with its error and only the phases it reached', () => {
    const state: DrillState = {
      plan,
      sourceCounts: succeeded().sourceCounts,
      error: { Error: 'InsufficientDBInstanceCapacityFault', Cause: 'No capacity for db.t4g.medium' },
      cleanup: { instanceId: SCRATCH, action: 'not-found', at: '2026-11-25T01:03:00.000Z' },
    };
    const report = buildReport(state, config, REPORTED);
    expect(report).toMatchObject({
      outcome: 'failed',
      error: { Error: 'InsufficientDBInstanceCapacityFault', Cause: 'No capacity for db.t4g.medium' },
      rto: { targetSeconds: 900 },
      mismatchedTables: [],
      cleanup: { action: 'not-found' },
    });
    expect(Object.keys(report.rto)).toEqual(['targetSeconds']);
    expect(report).not.toHaveProperty('verification');
    const { message } = summarize(report, 's3://b/k');
    expect(message).toContain('Error: InsufficientDBInstanceCapacityFault: No capacity for db.t4g.medium');
    expect(message).toContain('Verification: not reached');
    expect(message).toContain(`Scratch instance ${SCRATCH}: not-found`);
  });

  it('does not call a drill without verification a success', () => {
    const { verification: _, ...state } = succeeded();
    expect(buildReport(state, config, REPORTED).outcome).toBe('failed');
  });

  it('writes the report to drills/<env>/<yyyy>/<mm>/<execution>.json, records the metrics and mails a summary', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    const result = await reportDrill(succeeded(), config, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics,
      now: () => REPORTED,
    });
    const key = `drills/dev/2026/11/${EXECUTION_NAME}.json`;
    expect(result).toEqual({ reportKey: key, outcome: 'succeeded' });

    const puts = s3Mock.commandCalls(PutObjectCommand);
    expect(puts).toHaveLength(1);
    const put = puts[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'authdb-dr-dev-reports', Key: key, ContentType: 'application/json' });
    expect(JSON.parse(String(put.Body))).toEqual(buildReport(succeeded(), config, REPORTED));

    expect(metrics.addMetric.mock.calls).toEqual([
      ['DrillSucceeded', 'Count', 1],
      ['DrillFailed', 'Count', 0],
      ['RpoLagSeconds', 'Seconds', 240],
      ['MismatchedTables', 'Count', 0],
      ['RestoreSeconds', 'Seconds', 600],
      ['VerifySeconds', 'Seconds', 300],
      ['RtoSeconds', 'Seconds', 900],
      ['FreshnessSeconds', 'Seconds', 5],
    ]);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);

    const publishes = snsMock.commandCalls(PublishCommand);
    expect(publishes).toHaveLength(1);
    const publish = publishes[0]!.args[0].input;
    expect(publish.TopicArn).toBe(config.topicArn);
    expect(publish.Subject).toBe('[authdb-dr dev] DR drill succeeded: RTO 15m00s, RPO lag 4m00s');
    expect(publish.Message).toContain(`Report: s3://authdb-dr-dev-reports/${key}`);
    expect(publish.Message).toContain('RTO: restore 10m00s + verify 5m00s = 15m00s (target 15m00s)');
    expect(publish.Message).toContain(`Execution: ${EXECUTION_ARN}`);
  });

  it('records a failed drill as DrillFailed without the RTO metrics it never measured', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    const state: DrillState = {
      plan: { ...plan, startedAt: '2026-01-31T23:59:59.000Z' },
      error: { Error: 'RestoreTimedOut', Cause: `Scratch instance ${SCRATCH} still creating after 90 minutes` },
    };
    const result = await reportDrill(state, config, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics,
      now: () => REPORTED,
    });
    expect(result).toEqual({ reportKey: `drills/dev/2026/01/${EXECUTION_NAME}.json`, outcome: 'failed' });
    expect(metrics.addMetric.mock.calls).toEqual([
      ['DrillSucceeded', 'Count', 0],
      ['DrillFailed', 'Count', 1],
      ['RpoLagSeconds', 'Seconds', 240],
      ['MismatchedTables', 'Count', 0],
    ]);
    const subject = snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Subject!;
    expect(subject).toBe('[authdb-dr dev] DR drill failed: RTO n/a, RPO lag 4m00s');
  });

  it('keeps the e-mail subject within the 100 characters SNS allows, naming the outcome', () => {
    const report = buildReport(
      succeeded(),
      { ...config, environment: 'a-very-long-environment-name'.repeat(4) },
      REPORTED,
    );
    const { subject } = summarize(report, 's3://b/k');
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^\[authdb-dr a-very-long-environment-name/);
    const failed = summarize(buildReport({ plan }, config, REPORTED), 's3://b/k').subject;
    expect(failed.length).toBeLessThanOrEqual(100);
    expect(failed).toContain('DR drill failed');
  });

  it('shows fractional seconds as whole minutes and seconds (never "60s")', () => {
    const state = succeeded();
    if (state.verification?.compared !== true) throw new Error('unreachable');
    state.verification.verification.freshnessSeconds = 119.6;
    const { message } = summarize(buildReport(state, config, REPORTED), 's3://b/k');
    expect(message).toContain('restored data 2m00s older than the restore point');
  });

  it('records a failed cleanup in the report and the e-mail instead of "cleanup not reached"', async () => {
    // The Cleanup state's Catch puts the error at $.cleanupError and goes on to Report; the execution then fails
    // with CleanupFailed, and the scratch instance is still there for someone to delete.
    s3Mock.on(PutObjectCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const { cleanup: _, ...state } = succeeded();
    const event = { ...state, cleanupError: { Error: 'Throttling', Cause: 'Rate exceeded' } };
    await reportDrill(event, config, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics: { addMetric: vi.fn(), publishStoredMetrics: vi.fn() },
      now: () => REPORTED,
    });
    const body = String(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Body);
    expect(body).toContain('Throttling');
    const message = snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(message).toContain('Throttling');
    expect(message).not.toContain('cleanup not reached');
  });

  it('carries no secret-looking field from the workflow state into the report', () => {
    const state = succeeded() as DrillState & Record<string, unknown>;
    (state.plan as unknown as Record<string, unknown>).masterUserSecret = { SecretArn: 'arn:...:secret:rds!db-1' };
    state.credentials = { password: 'hunter2', token: 'abc' };
    const report = buildReport(state, config, REPORTED);
    const text = JSON.stringify(report);
    expect(text).not.toMatch(/password|secret|token|credential|hunter2/i);
    expect(summarize(report, 's3://b/k').message).not.toMatch(/password|secret|token|hunter2/i);
  });
});
