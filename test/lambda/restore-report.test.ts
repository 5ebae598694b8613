import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildRestoreReport, type RestoreReport, reportRestore } from '../../lambda/restore-report/report.js';
import type { RestoreState } from '../../lambda/shared/restore.js';
import {
  ASIDE,
  awsError,
  EXECUTION_ARN,
  NOW,
  now,
  restorePlan,
  SOURCE,
  STARTED_AT,
  TARGET,
} from '../support/restore-lambdas.js';

const START_TIME = STARTED_AT;
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
const config = {
  environment: 'dev',
  bucket: 'authdb-dr-dev-reports',
  topicArn: 'arn:aws:sns:x:1:alerts',
  rtoTargetSeconds: 900,
};
const KEY = 'restores/dev/2026/11/incident-1.json';

beforeEach(() => {
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
});

function metricsPort() {
  return { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
}

async function run(state: unknown, metrics = metricsPort()) {
  const result = await reportRestore(state, config, { s3: new S3Client({}), sns: new SNSClient({}), metrics, now });
  const put = s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input;
  const publish = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
  return {
    result,
    metrics,
    put,
    report: put ? (JSON.parse(String(put.Body)) as RestoreReport) : undefined,
    subject: String(publish?.Subject),
    message: String(publish?.Message),
  };
}

const verification = {
  compared: false,
  ok: true,
  complete: true,
  summary: '2 tables counted',
  verifiedAt: '2026-11-26T06:05:00.000Z',
  report: {
    ok: true,
    compared: false,
    cutoff: '2026-11-26T05:30:00.000Z',
    tables: { users: { total: 10, settled: 10 }, sessions: { total: 4, settled: 4 } },
    missingTables: [],
  },
} satisfies RestoreState['verification'];

/** A restore that went to the end: requested, available 20 minutes later, verified 5 minutes after that. */
function finished(extra: Partial<RestoreState> = {}, plan = restorePlan()): RestoreState {
  return {
    plan,
    restore: {
      instanceId: TARGET,
      requestedAt: '2026-11-26T05:40:00.000Z',
      asOf: '2026-11-26T05:30:00.000Z',
      alreadyRequested: false,
    },
    target: {
      instanceId: TARGET,
      status: 'available',
      available: true,
      settled: true,
      failed: false,
      timedOut: false,
      checkedAt: '2026-11-26T06:00:00.000Z',
    },
    settings: {
      appliedAt: '2026-11-26T06:01:00.000Z',
      replication: { started: true, detail: 'automated backups replicated to ap-southeast-1' },
    },
    verification,
    ...extra,
  } as RestoreState;
}

const step = (action: string, from: string, to: string, at: string) => ({ action, from, to, at, alreadyDone: false });

describe('restore report', () => {
  it('writes a succeeded restore to restores/<env>/<yyyy>/<mm>/<execution>.json with its RTO, metrics and summary', async () => {
    const { result, metrics, put, report, subject, message } = await run(finished());
    expect(result).toEqual({ reportKey: KEY, outcome: 'succeeded' });
    expect(put).toMatchObject({ Bucket: config.bucket, Key: KEY, ContentType: 'application/json' });
    expect(report).toMatchObject({
      kind: 'restore',
      outcome: 'succeeded',
      execution: { arn: EXECUTION_ARN, name: 'incident-1', startedAt: STARTED_AT },
      sourceInstanceId: SOURCE,
      targetInstanceId: TARGET,
      restoreTime: '2026-11-26T05:30:00.000Z',
      rto: { targetSeconds: 900, restoreSeconds: 1200, totalSeconds: 1500 },
      cutover: { requested: false },
      reportedAt: NOW.toISOString(),
    });
    expect(report!.error).toBeUndefined();
    expect(report!.cutover.approval).toBeUndefined();
    expect(metrics.addMetric.mock.calls).toEqual([
      ['RestoreSucceeded', 'Count', 1],
      ['RestoreFailed', 'Count', 0],
      ['RestoreRtoSeconds', 'Seconds', 1500],
    ]);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledTimes(1);
    expect(subject).toBe(`[authdb-dr dev] restore succeeded: ${SOURCE} -> ${TARGET}`);
    expect(message).toContain('Time: restore 20m00s, to verified 25m00s (target 15m00s)');
    expect(message).toContain('Verification: 2 tables counted');
    expect(message).toContain('Settings applied; replication: automated backups replicated to ap-southeast-1');
    expect(message).toContain('Cutover: not requested');
    expect(message).toContain(`Next: Point applications at ${TARGET}, or run again with cutover`);
    expect(message).toContain(`Report: s3://${config.bucket}/${KEY}`);
  });

  it('reports a failed restore with its error, only the phases it reached, and no RTO metric', async () => {
    const error = { Error: 'RestoreFailed', Cause: `${TARGET} is incompatible-restore` };
    const { result, metrics, report, subject, message } = await run({
      plan: restorePlan(),
      restore: finished().restore,
      error,
    });
    expect(result.outcome).toBe('failed');
    expect(report).toMatchObject({ outcome: 'failed', error, rto: { restoreRequestedAt: '2026-11-26T05:40:00.000Z' } });
    expect(report!.rto.totalSeconds).toBeUndefined();
    expect(metrics.addMetric.mock.calls).toEqual([
      ['RestoreSucceeded', 'Count', 0],
      ['RestoreFailed', 'Count', 1],
    ]);
    expect(subject).toContain('restore failed');
    expect(message).toContain(`Error: RestoreFailed: ${TARGET} is incompatible-restore`);
    expect(message).toContain('Verification: not reached');
    expect(message).toContain(`Next: The instance ${TARGET} is kept and tagged failed`);
  });

  it('names the restored instance by the production name after a cutover, and the old one as holding the rows after', async () => {
    const plan = restorePlan({ cutover: true, approvalRequired: true, startedBy: 'arn:alice' });
    const state = finished(
      {
        renameSource: step('rename-source', SOURCE, ASIDE, '2026-11-26T06:10:00.000Z'),
        renameTarget: step('rename-target', TARGET, SOURCE, '2026-11-26T06:12:00.000Z'),
        approval: { approvedBy: 'arn:bob', approvedAt: '2026-11-26T06:08:00.000Z' },
        verification: {
          ...verification,
          rowsAfterRecoveryPoint: {
            recoveryPoint: '2026-11-26T05:30:00.000Z',
            countedAt: '2026-11-26T06:05:00.000Z',
            tables: [],
          },
        },
      },
      plan,
    );
    const { report, message } = await run(state);
    expect(report!.targetInstanceId).toBe(SOURCE);
    expect(report!.rowsAfterRecoveryPoint?.heldBy).toBe(ASIDE);
    expect(report!.cutover).toEqual({
      requested: true,
      sourceRenamedAt: '2026-11-26T06:10:00.000Z',
      targetRenamedAt: '2026-11-26T06:12:00.000Z',
      approval: {
        required: true,
        startedBy: 'arn:alice',
        approvedBy: 'arn:bob',
        approvedAt: '2026-11-26T06:08:00.000Z',
        outcome: 'approved',
      },
    });
    expect(message).toContain('Cutover: done at 2026-11-26T06:12:00.000Z, approved by arn:bob');
    expect(message).toContain(`Next: ${SOURCE} is now the restored database; the old one is ${ASIDE}.`);
  });

  it('keeps the restored name and the source as holder when the cutover was rolled back', async () => {
    const state = finished(
      {
        renameSource: step('rename-source', SOURCE, ASIDE, '2026-11-26T06:10:00.000Z'),
        renameTarget: step('rename-target', TARGET, SOURCE, '2026-11-26T06:12:00.000Z'),
        rollBack: step('roll-back', ASIDE, SOURCE, '2026-11-26T06:15:00.000Z'),
        error: { Error: 'CutoverFailed', Cause: 'the endpoint did not answer' },
      },
      restorePlan({ cutover: true }),
    );
    const { report, message } = await run(state);
    expect(report!.targetInstanceId).toBe(TARGET);
    expect(report!.cutover.approval).toEqual({ required: false, outcome: 'not-required' });
    expect(message).toContain('Cutover: rolled back at 2026-11-26T06:15:00.000Z (the source has its name again)');
  });

  it.each([
    ['CutoverNotApproved', 'timed-out', 'not done: no second person approved it in time'],
    ['CutoverRejected', 'rejected', 'not done: rejected (authdb-dr restore approve --reject)'],
  ])('after %s says the approval %s and that production is unchanged', async (errorName, outcome, text) => {
    const plan = restorePlan({ cutover: true, approvalRequired: true, startedBy: 'arn:alice' });
    const { report, message } = await run(finished({ error: { Error: errorName, Cause: '' } }, plan));
    expect(report!.cutover.approval).toEqual({ required: true, startedBy: 'arn:alice', outcome });
    expect(message).toContain(`Cutover: ${text}`);
    expect(message).toContain(`Next: Production is unchanged: ${SOURCE} keeps its name.`);
  });

  it('says the approval was not reached when a required approval never came to be asked', async () => {
    const plan = restorePlan({ cutover: true, approvalRequired: true });
    const { report, message } = await run({ plan, error: { Error: 'VerificationFailed', Cause: 'counts differ' } });
    expect(report!.cutover.approval).toEqual({ required: true, outcome: 'not-reached' });
    expect(message).toContain('Cutover: not done');
  });

  it('reports a snapshot restore with the snapshot, dating rows after by the snapshot time', () => {
    const snapshot = { identifier: 'rds:authdb-dev-2026-11-25-18-05', createdAt: '2026-11-25T18:05:00.000Z' };
    const report = buildRestoreReport(
      finished({}, restorePlan({ mode: 'snapshot', restoreTime: undefined, snapshot })),
      config,
      NOW,
    );
    expect(report.snapshot).toEqual(snapshot);
    expect(report.restoreTime).toBeUndefined();
    expect(report.mode).toBe('snapshot');
  });

  it('lets a failed write through before any e-mail is sent (the workflow retries the report)', async () => {
    s3Mock.on(PutObjectCommand).rejects(awsError('AccessDenied', 'no s3:PutObject'));
    await expect(run(finished())).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('refuses a state without the plan, before writing anything', async () => {
    await expect(run({ error: { Error: 'x', Cause: 'y' } })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Invalid restore report event: plan = missing'),
    });
    await expect(run({ plan: {} })).rejects.toMatchObject({
      message: expect.stringContaining('plan.executionArn = missing'),
    });
    expect(s3Mock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
  });
});

describe('restore report: rows the old instance holds after the recovery point', () => {
  const POINT = '2026-11-26T02:55:00.000Z';
  const state = (rowsAfterRecoveryPoint: NonNullable<RestoreState['verification']>['rowsAfterRecoveryPoint']) =>
    ({
      plan: {
        environment: 'dev',
        mode: 'point-in-time',
        sourceInstanceId: SOURCE,
        targetInstanceId: TARGET,
        instanceClass: 'db.t4g.medium',
        restoreTime: POINT,
        useLatestRestorableTime: false,
        source: { host: `${SOURCE}.x`, port: 5432 },
        settings: {
          instanceClass: 'db.t4g.medium',
          multiAz: false,
          subnetGroupName: 's',
          securityGroupIds: [],
          parameterGroupName: 'p',
          backupRetentionDays: 7,
          iamAuth: true,
          logExports: [],
        },
        cutover: false,
        preRestoreInstanceId: `${SOURCE}-pre-restore-202611260540`,
        executionArn: 'arn:aws:states:ap-northeast-2:111111111111:execution:m:e',
        executionName: 'e',
        startedAt: START_TIME,
      },
      verification: {
        compared: false,
        ok: true,
        complete: true,
        summary: '2 tables counted',
        verifiedAt: START_TIME,
        report: {
          ok: true,
          compared: false,
          cutoff: POINT,
          tables: { users: { total: 10, settled: 7 }, sessions: { total: 4 } },
          missingTables: [],
        },
        ...(rowsAfterRecoveryPoint ? { rowsAfterRecoveryPoint } : {}),
      },
    }) satisfies RestoreState;
  const reportConfig = { environment: 'dev', bucket: 'b', topicArn: 't', rtoTargetSeconds: 900 };
  const message = async (s: RestoreState) => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({});
    await reportRestore(s, reportConfig, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
      now: () => new Date(),
    });
    return String(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.Message);
  };

  it('says "unknown" for a table without a time column, and gives no command for a table with none after', async () => {
    const s = state({
      recoveryPoint: POINT,
      countedAt: START_TIME,
      tables: [
        { table: 'users', timeColumn: 'created_at', rows: 0 },
        { table: 'sessions', rows: 'unknown' },
      ],
    });
    const r = buildRestoreReport(s, reportConfig, new Date());
    expect(r.tables.map((t) => [t.table, t.rowsAfterRecoveryPoint])).toEqual([
      ['users', 0],
      ['sessions', 'unknown'],
    ]);
    // Without a cutover the source itself still holds them.
    expect(r.rowsAfterRecoveryPoint).toEqual({ recoveryPoint: POINT, countedAt: START_TIME, heldBy: SOURCE });
    const text = await message(s);
    expect(text).toContain(`  users: 0 rows with created_at > '${POINT}'\n`);
    expect(text).toContain('  sessions: unknown (no time column configured)');
    expect(text).not.toContain('\\copy');
  });

  it('says why the rows were not counted when the source could not be reached, and reports without them when never asked', async () => {
    const s = state({ recoveryPoint: POINT, tables: [], error: 'connect ECONNREFUSED' });
    expect(await message(s)).toContain(
      `Rows after the recovery point ${POINT} in ${SOURCE}: not counted (connect ECONNREFUSED)`,
    );
    const none = state(undefined);
    expect(buildRestoreReport(none, reportConfig, new Date()).rowsAfterRecoveryPoint).toBeUndefined();
    expect(await message(none)).not.toContain('Rows after the recovery point');
  });
});

describe('restore-report handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('reports with the configured bucket and topic', async () => {
    vi.stubEnv('ENVIRONMENT', 'dev');
    vi.stubEnv('REPORT_BUCKET', 'bucket-from-env');
    vi.stubEnv('ALERT_TOPIC_ARN', 'arn:aws:sns:x:1:from-env');
    vi.stubEnv('RTO_TARGET_SECONDS', '900');
    const { handler } = await import('../../lambda/restore-report/handler.js');
    await expect(handler(finished())).resolves.toEqual({ reportKey: KEY, outcome: 'succeeded' });
    expect(s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input.Bucket).toBe('bucket-from-env');
    expect(snsMock.commandCalls(PublishCommand)[0]!.args[0].input.TopicArn).toBe('arn:aws:sns:x:1:from-env');
  });

  it('fails at load naming a malformed RTO target', async () => {
    vi.stubEnv('ENVIRONMENT', 'dev');
    vi.stubEnv('REPORT_BUCKET', 'b');
    vi.stubEnv('ALERT_TOPIC_ARN', 't');
    vi.stubEnv('RTO_TARGET_SECONDS', '15m');
    await expect(import('../../lambda/restore-report/handler.js')).rejects.toThrow(
      'Environment variable RTO_TARGET_SECONDS must be a whole number, got "15m"',
    );
  });
});
