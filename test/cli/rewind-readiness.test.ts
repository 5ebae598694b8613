import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { READINESS_METRICS } from '../../contract/metrics.js';
import { readinessFigures } from '../../contract/readiness.js';
import { replayAction } from '../../lambda/rewind-replay/actions.js';
import { reportRewind } from '../../lambda/rewind-report/report.js';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { AwsStandin, type StandinState } from '../support/aws-standin.js';
import { type CliRun, runBuiltCli } from '../support/cli-process.js';

/*
 * `authdb-dr rewind …` and `authdb-dr readiness`: the built CLI as a child process, the real AWS SDK pointed at the
 * local stand-in (Step Functions and CloudWatch over HTTP). The rewind outputs come from the rewind's own functions.
 */

const prod = loadConfig('prod');
const dev = loadConfig('dev');
const MINUTE = 60_000;

let standin: AwsStandin;
let endpoint: string;
const state: StandinState = { executions: [], instances: [], snapshots: [], recoveryPoints: [], replicated: [] };
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);

beforeAll(async () => {
  standin = new AwsStandin(state);
  endpoint = await standin.start();
});
afterAll(async () => {
  await standin.stop();
  s3Mock.restore();
  snsMock.restore();
});
beforeEach(() => {
  state.executions = [];
  state.started = undefined;
  state.metrics = [];
  standin.calls.length = 0;
  standin.sfnCalls = 0;
});

function cli(args: string[]): Promise<CliRun> {
  return runBuiltCli(endpoint, args);
}

const startInput = () => {
  const calls = standin.callsOf('StartExecution');
  expect(calls).toHaveLength(1);
  return { arn: calls[0]!.params.stateMachineArn, input: JSON.parse(String(calls[0]!.params.input)) };
};

/** What the rewind's dry-run step returns for a replica 50 minutes behind with 64 MiB of WAL to replay. */
async function dryRunOutput(incidentTime: string) {
  const lastReplay = new Date(Date.parse(incidentTime) - 40 * MINUTE).toISOString();
  return replayAction(
    { action: 'dryRun', incidentTime },
    {
      environment: 'prod',
      tables: prod.drill.tables,
      concurrency: 2,
      marginSeconds: 300,
      replayBytesPerSecond: 20 * 1024 * 1024,
      rebootSeconds: 180,
      promoteSeconds: 300,
    },
    {
      replayControl: async () => ({
        query: async () => ({
          rows: [
            {
              in_recovery: true,
              pause_state: 'not paused',
              last_replay_at: lastReplay,
              before_incident: true,
              now: new Date().toISOString(),
              apply_delay_ms: '3600000',
              target_is_incident: false,
              pending_bytes: String(64 * 1024 * 1024),
            },
          ],
        }),
        end: async () => {},
      }),
      verifier: async () => {
        throw new Error('a dry run verifies nothing');
      },
    },
  );
}

/** What the rewind's report step returns after a rewind that cut over. */
async function reportOutput(name: string, incidentTime: string, startedAt: Date) {
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
  const at = (m: number) => new Date(startedAt.getTime() + m * MINUTE).toISOString();
  const R = new Date(Date.parse(incidentTime) - 2_000).toISOString();
  return reportRewind(
    {
      plan: {
        incidentTime,
        replicaInstanceId: 'authdb-prod-delayed',
        startedAt: startedAt.toISOString(),
        environment: 'prod',
        cutover: true,
        preRestoreInstanceId: 'authdb-prod-pre-restore-202611301600',
      },
      steps: {
        frozen: { frozenAt: R, at: at(0.1) },
        target: { at: at(0.2) },
        reboot: { at: at(0.3) },
        reached: { recoveryPoint: R, at: at(4) },
        promote: { at: at(4) },
        promoted: { at: at(8) },
        verification: { ok: true, tables: {} },
        renameSource: { at: at(9) },
        renameTarget: { at: at(10) },
        cutOver: { at: at(11), holder: 'authdb-prod-delayed' },
        rollBack: null,
      },
      error: null,
      execution: { Name: name, Id: `arn:aws:states:x:1:execution:authdb-dr-prod-rewind:${name}` },
    },
    {
      environment: 'prod',
      bucket: 'reports',
      topicArn: 'arn:aws:sns:ap-northeast-2:333333333333:alerts',
      rtoTargetSeconds: 900,
      marginSeconds: 300,
      productionInstanceId: 'authdb-prod',
    },
    {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
      now: () => new Date(startedAt.getTime() + 12 * MINUTE),
    },
  );
}

describe('authdb-dr rewind', () => {
  it('start --dry-run runs the read-only dry run and prints what it would do, the expected R and time', async () => {
    const t = new Date(Date.now() - 10 * MINUTE);
    const seoul = new Date(t.getTime() + 9 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
    state.started = { statuses: ['RUNNING', 'SUCCEEDED'], output: await dryRunOutput(t.toISOString()) };
    const run = await cli(['rewind', 'start', '--env', 'prod', '--incident-time', `${seoul}+09`, '--dry-run']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const started = startInput();
    expect(started.arn).toBe(`arn:aws:states:${prod.primaryRegion}:${prod.account}:stateMachine:authdb-dr-prod-rewind`);
    expect(started.input).toEqual({ incidentTime: `${seoul.replace(' ', 'T')}+09:00`, dryRun: true });
    expect(run.stdout).toMatch(/Dry run:\s+the rewind can proceed/);
    expect(run.stdout).toMatch(/Expected R:\s+the last commit before .* \(no earlier than .*\)/);
    // 180 s reboot + 64 MiB at 20 MiB/s (4 s) + 300 s promotion.
    expect(run.stdout).toMatch(/Expected time:\s+about 8m04s \(RTO target 15m\)/);
    expect(run.stdout).toMatch(/Step 1:\s+pause replay on the delayed replica/);
    expect(run.stdout).toMatch(/Step 4:\s+promote it/);
    expect(run.stdout).not.toMatch(/Verification:/);
  });

  it('start --confirm-cutover --watch starts the rewind and prints R against T, the RTO and the cutover', async () => {
    const t = new Date(Date.now() - 20 * MINUTE).toISOString();
    const startedAt = new Date();
    state.started = {
      statuses: ['RUNNING', 'SUCCEEDED'],
      durationSeconds: 12 * 60,
      output: await reportOutput('bad-write-1', t, startedAt),
    };
    const run = await cli([
      'rewind',
      'start',
      '--env',
      'prod',
      '--incident-time',
      t,
      '--confirm-cutover',
      'authdb-prod',
      '--name',
      'bad-write-1',
      '--watch',
      '--interval',
      '1',
    ]);
    expect(run.code).toBe(0);
    // prod's second person approves the cutover: the start carries a proof of who starts it (test/cli/restore-approve).
    expect(startInput().input).toEqual({
      incidentTime: t,
      dryRun: false,
      cutover: {
        confirmSourceInstanceId: 'authdb-prod',
        identityProof: expect.stringMatching(
          new RegExp(`^https://sts\\.${prod.primaryRegion}\\.amazonaws\\.com/\\?Action=GetCallerIdentity&`),
        ),
      },
    });
    expect(run.stderr).toContain(
      'once verified and approved by a second person (npx authdb-dr rewind approve --env prod --execution bad-write-1), the rewound replica takes the name authdb-prod',
    );
    expect(run.stdout).toMatch(/Rewound instance:\s+authdb-prod\n/);
    expect(run.stdout).toMatch(/Recovery point:\s+R = .*, 2 s before T = /);
    expect(run.stdout).toMatch(/RTO:\s+12m00s within the RTO target 15m/);
    expect(run.stdout).toMatch(/RPO:\s+lag 2s within the RPO target 5m/);
    expect(run.stdout).toMatch(
      /Cutover:\s+done: authdb-prod is the rewound database; the previous one is authdb-prod-pre-restore-202611301600/,
    );
    expect(run.stdout).toMatch(/Report:\s+rewinds\/prod\/\d{4}\/\d\d\/bad-write-1\.json/);
  });

  it('status reads a rewind execution by name from the rewind state machine', async () => {
    const t = new Date(Date.now() - 30 * MINUTE).toISOString();
    const startDate = new Date(Date.now() - 15 * MINUTE);
    state.executions.push({
      stateMachine: 'authdb-dr-prod-rewind',
      name: 'bad-write-2',
      region: prod.primaryRegion,
      account: prod.account,
      startDate,
      statuses: ['SUCCEEDED'],
      output: await reportOutput('bad-write-2', t, startDate),
    });
    const run = await cli(['rewind', 'status', '--env', 'prod', 'bad-write-2']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/State machine:\s+authdb-dr-prod-rewind/);
    expect(run.stdout).toMatch(/Status:\s+SUCCEEDED/);
    expect(run.stdout).toMatch(/Next:\s+authdb-prod is now the promoted replica/);
    expect(standin.callsOf('DescribeExecution')[0]!.params.executionArn).toBe(
      `arn:aws:states:${prod.primaryRegion}:${prod.account}:execution:authdb-dr-prod-rewind:bad-write-2`,
    );
  });

  it('refuses, before starting anything, a confirmation of another instance and a T older than the delay', async () => {
    const old = new Date(Date.now() - (prod.delayedReplica.applyDelayMinutes + 5) * MINUTE).toISOString();
    const run = await cli([
      'rewind',
      'start',
      '--env',
      'prod',
      '--incident-time',
      old,
      '--confirm-cutover',
      'authdb-staging',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'cutover.confirmSourceInstanceId = "authdb-staging"; allowed: authdb-prod (the production instance of prod) [--confirm-cutover]',
    );
    expect(run.stderr).toContain(
      `allowed: within the last 60 minutes (delayedReplica.applyDelayMinutes of prod): the delayed replica has replayed anything older. Use the point-in-time restore: npx authdb-dr restore start --env prod`,
    );
    expect(standin.callsOf('StartExecution')).toEqual([]);
  });

  it('refuses a zone-less T, naming the flag, and an environment without a delayed replica', async () => {
    const zoneless = await cli(['rewind', 'start', '--env', 'prod', '--incident-time', '2026-11-26T02:55:00']);
    expect(zoneless.code).toBe(2);
    expect(zoneless.stderr).toMatch(
      /incidentTime = "2026-11-26T02:55:00"; allowed: an ISO-8601 time with a zone.*\[--incident-time\]/,
    );
    const inDev = await cli(['rewind', 'start', '--env', 'dev', '--incident-time', new Date().toISOString()]);
    expect(dev.delayedReplica.enabled).toBe(false);
    expect(inDev.code).toBe(2);
    expect(inDev.stderr).toContain('Environment dev has no delayed replica');
    expect(inDev.stderr).toContain('npx authdb-dr restore start --env dev');
    expect(standin.callsOf('StartExecution')).toEqual([]);
  });
});

describe('authdb-dr readiness', () => {
  const figures = readinessFigures({ ...prod, name: 'prod' });
  const within = (seconds: number) =>
    figures.map((f) => ({
      region: prod.primaryRegion,
      namespace: f.namespace,
      metricName: f.metricName,
      dimensions: f.dimensions,
      points: [
        { at: new Date(Date.now() - 3 * MINUTE), value: f.thresholdSeconds * 3 },
        { at: new Date(Date.now() - MINUTE), value: Math.min(seconds, f.thresholdSeconds) },
      ],
    }));

  it('prints every figure with its objective and exits 0 when all are within', async () => {
    state.metrics = within(120);
    const run = await cli(['readiness', '--env', 'prod']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/primary restorable-time lag \(RPO\)\s+2m00s\s+<= 5m00s\s+ok/);
    expect(run.stdout).toMatch(/delayed replica lag \(its delay \+ RPO\)\s+2m00s\s+<= 1h05m00s\s+ok/);
    expect(run.stdout).toMatch(/last successful DR-region drill age\s+2m00s\s+<= 35\.0d\s+ok/);
    expect(run.stdout).toContain('Every figure is within its objective.');
    const query = standin.callsOf('GetMetricData')[0]!;
    expect(query.region).toBe(prod.primaryRegion);
  });

  it('exits 1 naming a figure above its objective and a missing one (the monitor is not measuring)', async () => {
    state.metrics = within(120).map((m) =>
      m.metricName === READINESS_METRICS.drBackupLag
        ? { ...m, points: [{ at: new Date(Date.now() - MINUTE), value: 420 }] }
        : m.metricName === READINESS_METRICS.lastDrDrillAge
          ? { ...m, points: [] }
          : m,
    );
    const run = await cli(['readiness', '--env', 'prod']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/DR-region replicated-backup lag \(RPO\)\s+7m00s\s+<= 5m00s\s+OVER/);
    expect(run.stdout).toMatch(/last successful DR-region drill age\s+-\s+<= 35\.0d\s+MISSING/);
    expect(run.stdout).toContain('2 figure(s) OVER their objective or MISSING');
  });

  it('--output json gives every figure, its value and its state', async () => {
    state.metrics = within(60);
    const run = await cli(['--output', 'json', 'readiness', '--env', 'prod']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as { ok: boolean; figures: { key: string; valueSeconds: number }[] };
    expect(doc.ok).toBe(true);
    expect(doc.figures.map((f) => f.key)).toEqual(figures.map((f) => f.key));
    expect(doc.figures.every((f) => f.valueSeconds === 60)).toBe(true);
  });

  it('uses the thresholds of the synthesized readiness alarms, figure for figure', { timeout: 300_000 }, () => {
    const alarms = Object.values(templateOf('prod', 'recovery').findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties)
      .filter((p) => String(p.AlarmName).includes('-readiness-'));
    const byMetric = new Map(alarms.map((p) => [String(p.MetricName), p]));
    expect(figures).toHaveLength(alarms.length);
    for (const f of figures) {
      const alarm = byMetric.get(f.metricName);
      expect(alarm, f.key).toBeDefined();
      expect(alarm!.Threshold, f.key).toBe(f.thresholdSeconds);
      expect(alarm!.Namespace, f.key).toBe(f.namespace);
      expect(
        Object.fromEntries((alarm!.Dimensions as { Name: string; Value: string }[]).map((d) => [d.Name, d.Value])),
        f.key,
      ).toEqual(f.dimensions);
    }
  });
});
