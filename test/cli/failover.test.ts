import { BackupClient } from '@aws-sdk/client-backup';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { control } from '../../lambda/failover-control/control.js';
import { reportFailover } from '../../lambda/failover-report/report.js';
import { loadConfig } from '../../lib/config/load.js';
import { AwsStandin, type StandinState } from '../support/aws-standin.js';
import { type CliRun, runBuiltCli } from '../support/cli-process.js';

/*
 * `authdb-dr failover …` and `authdb-dr standby`: the built CLI as a child process, the real AWS SDK pointed at the
 * local stand-in, which tells regions apart by the SigV4 scope. The failover outputs come from the workflow's own
 * functions (control's plan for a dry run, the report for a failover).
 */

const prod = loadConfig('prod');
const MINUTE = 60_000;
const FAILOVER_SM = `arn:aws:states:${prod.drRegion}:${prod.account}:stateMachine:authdb-dr-prod-failover`;

let standin: AwsStandin;
let endpoint: string;
const state: StandinState = { executions: [], instances: [], snapshots: [], recoveryPoints: [], replicated: [] };
const rdsMock = mockClient(RDSClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);

beforeAll(async () => {
  standin = new AwsStandin(state);
  endpoint = await standin.start();
});
afterAll(async () => {
  await standin.stop();
  rdsMock.restore();
  s3Mock.restore();
  snsMock.restore();
});
beforeEach(() => {
  state.executions = [];
  state.instances = [];
  state.started = undefined;
  state.metrics = [];
  standin.calls.length = 0;
  standin.sfnCalls = 0;
});

function cli(args: string[]): Promise<CliRun> {
  return runBuiltCli(endpoint, args);
}

const startCall = () => {
  const calls = standin.callsOf('StartExecution');
  expect(calls).toHaveLength(1);
  return { call: calls[0]!, input: JSON.parse(String(calls[0]!.params.input)) };
};

const controlConfig = {
  environment: 'prod',
  primaryInstanceId: 'authdb-prod',
  standbyInstanceId: 'authdb-prod-standby',
  subnetGroup: 'dr-subnets',
  parameterGroup: 'dr-params',
  securityGroupId: 'sg-1',
  drVaultName: 'authdb-prod-dr',
  instanceClasses: prod.drSite.failover.instanceClasses,
  backupRetentionDays: 7,
  promoteTimeoutSeconds: 1800,
  restoreTimeoutSeconds: 5400,
};

/** What the failover's dry run ends with: the control function's plan for a healthy standby. */
async function dryRunPlan(input: unknown) {
  rdsMock.reset();
  rdsMock.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: 'authdb-prod-standby',
        DBInstanceArn: `arn:aws:rds:${prod.drRegion}:${prod.account}:db:authdb-prod-standby`,
        DBInstanceStatus: 'available',
        ReadReplicaSourceDBInstanceIdentifier: `arn:aws:rds:${prod.primaryRegion}:${prod.account}:db:authdb-prod`,
        DBInstanceClass: 'db.t4g.medium',
        Endpoint: { Address: 'authdb-prod-standby.dr.example', Port: 5432 },
      },
    ],
  });
  return control(
    { action: 'plan', input, execution: { Id: 'x', Name: 'dry', StartTime: new Date().toISOString() } },
    controlConfig,
    { rds: new RDSClient({}), backup: new BackupClient({}), now: () => new Date() },
  );
}

/** What a promotion's report step returns: the new writer at its DR endpoint, 11 minutes, 20 s lost. */
async function reportOutput(name: string, startedAt: Date) {
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({});
  const at = (m: number) => new Date(startedAt.getTime() + m * MINUTE).toISOString();
  return reportFailover(
    {
      plan: {
        mode: 'promote',
        writerInstanceId: 'authdb-prod-standby',
        primaryInstanceId: 'authdb-prod',
        failureTime: at(-1),
        recoveryPoint: null,
      },
      steps: {
        lastReplayed: { lastReplayedCommit: new Date(startedAt.getTime() - MINUTE - 20_000).toISOString() },
        started: { at: at(0.5) },
        available: { at: at(9), endpoint: { host: 'authdb-prod-standby.dr.example', port: 5432 } },
        verification: { ok: true, summary: '3 tables, all present', verifiedAt: at(11) },
      },
      error: null,
      execution: {
        Id: `arn:aws:states:${prod.drRegion}:${prod.account}:execution:authdb-dr-prod-failover:${name}`,
        Name: name,
        StartTime: startedAt.toISOString(),
      },
    },
    {
      environment: 'prod',
      region: prod.drRegion,
      bucket: 'dr-reports',
      topicArn: `arn:aws:sns:${prod.drRegion}:${prod.account}:dr-alerts`,
      rtoTargetSeconds: prod.targets.rtoMinutes * 60,
      rpoTargetSeconds: prod.targets.rpoMinutes * 60,
      databaseName: 'authdb',
    },
    {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
      now: () => new Date(startedAt.getTime() + 12 * MINUTE),
    },
  );
}

describe('authdb-dr failover', () => {
  it('start --dry-run starts the read-only plan of the DR-region state machine and prints the writer it would make', async () => {
    const input = { mode: 'promote', confirmSourceInstanceId: 'authdb-prod', dryRun: true };
    state.started = { statuses: ['RUNNING', 'SUCCEEDED'], output: await dryRunPlan(input) };
    const run = await cli([
      'failover',
      'start',
      '--env',
      'prod',
      '--mode',
      'promote',
      '--confirm-source',
      'authdb-prod',
      '--dry-run',
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { call, input: sent } = startCall();
    expect(call.region).toBe(prod.drRegion);
    expect(call.params.stateMachineArn).toBe(FAILOVER_SM);
    expect(sent).toEqual({ ...input });
    expect(run.stdout).toMatch(/New writer:\s+authdb-prod-standby/);
    expect(run.stdout).toMatch(/Next:\s+Dry run only, nothing changed: mode promote would make authdb-prod-standby/);
    expect(run.stdout).not.toMatch(/Report:/);
  });

  it('start --watch names the DR-region state machine and prints the new writer, RTO, RPO and the client switch', async () => {
    const startedAt = new Date();
    state.started = {
      statuses: ['RUNNING', 'SUCCEEDED'],
      durationSeconds: 12 * 60,
      output: await reportOutput('region-loss-1', startedAt),
    };
    const run = await cli([
      'failover',
      'start',
      '--env',
      'prod',
      '--mode',
      'point-in-time',
      '--restore-time',
      'latest',
      '--confirm-source',
      'authdb-prod',
      '--name',
      'region-loss-1',
      '--watch',
      '--interval',
      '1',
    ]);
    expect(run.code).toBe(0);
    const { call, input } = startCall();
    expect(call.region).toBe(prod.drRegion);
    expect(call.params.stateMachineArn).toBe(FAILOVER_SM);
    expect(call.params.name).toBe('region-loss-1');
    expect(input).toEqual({
      mode: 'pitr',
      restoreTime: 'latest',
      confirmSourceInstanceId: 'authdb-prod',
      dryRun: false,
    });
    expect(standin.calls.every((c) => c.region === prod.drRegion)).toBe(true);
    expect(run.stdout).toMatch(/New writer:\s+authdb-prod-standby\n/);
    expect(run.stdout).toMatch(/Endpoint:\s+authdb-prod-standby\.dr\.example:5432/);
    expect(run.stdout).toMatch(/RTO:\s+11m00s within the RTO target 15m/);
    expect(run.stdout).toMatch(/RPO:\s+lag 20s within the RPO target 5m/);
    expect(run.stdout).toMatch(/Next:\s+Switch clients .*Database host: authdb-prod-standby\.dr\.example/);
    expect(run.stdout).toMatch(
      /Report:\s+failovers\/prod\/\d{4}\/\d\d\/region-loss-1\.json \(bucket: output ReportBucketName of stack authdb-dr-prod-dr-recovery\)/,
    );
  });

  it('refuses bad input before any call to AWS, naming field, value, allowed and flag', async () => {
    const run = await cli([
      'failover',
      'start',
      '--env',
      'prod',
      '--mode',
      'promote',
      '--confirm-source',
      'authdb-staging',
      '--restore-time',
      '2026-11-26T02:55:00',
      '--instance-class',
      'db.x9.huge',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Invalid failover input:');
    expect(run.stderr).toMatch(/restoreTime = "2026-11-26T02:55:00"; allowed: .*\[--restore-time\]/);
    expect(run.stderr).toContain(
      'confirmSourceInstanceId = "authdb-staging"; allowed: authdb-prod (the primary instance of prod: the failover replaces it) [--confirm-source]',
    );
    expect(run.stderr).toContain(
      'instanceClass = "db.x9.huge"; allowed: only with mode pitr or recovery-point [--instance-class]',
    );
    expect(run.stderr).toContain(
      `instanceClass = "db.x9.huge"; allowed: one of ${prod.drSite.failover.instanceClasses.join(', ')}`,
    );
    const badMode = await cli(['failover', 'start', '--env', 'prod', '--mode', 'teleport']);
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toMatch(/mode = "teleport"; allowed: "promote" .* \[--mode\]/);
    expect(badMode.stderr).toMatch(/confirmSourceInstanceId = null; allowed: authdb-prod/);
    const future = new Date(Date.now() + 60 * MINUTE).toISOString();
    const ahead = await cli([
      'failover',
      'start',
      '--env',
      'prod',
      '--mode',
      'promote',
      '--confirm-source',
      'authdb-prod',
      '--failure-time',
      future,
    ]);
    expect(ahead.code).toBe(2);
    expect(ahead.stderr).toMatch(
      new RegExp(`failureTime = "${future}"; allowed: a time not in the future .*\\[--failure-time\\]`),
    );
    const primaryRegion = await cli(['--region', prod.primaryRegion, 'failover', 'status', '--env', 'prod', 'x']);
    expect(primaryRegion.code).toBe(2);
    expect(primaryRegion.stderr).toContain(`allowed: ${prod.drRegion} (the DR region of prod`);
    expect(standin.calls).toEqual([]);
  });

  it('status reads a failover execution by name from the DR-region state machine', async () => {
    const startDate = new Date(Date.now() - 15 * MINUTE);
    state.executions.push({
      stateMachine: 'authdb-dr-prod-failover',
      name: 'region-loss-2',
      region: prod.drRegion,
      account: prod.account,
      startDate,
      statuses: ['RUNNING'],
      states: ['Plan', 'Promote'],
    });
    const run = await cli(['failover', 'status', '--env', 'prod', 'region-loss-2']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/State machine:\s+authdb-dr-prod-failover/);
    expect(run.stdout).toMatch(/Status:\s+RUNNING/);
    expect(standin.callsOf('DescribeExecution')[0]!.params.executionArn).toBe(
      `arn:aws:states:${prod.drRegion}:${prod.account}:execution:authdb-dr-prod-failover:region-loss-2`,
    );
    expect(standin.callsOf('DescribeExecution')[0]!.region).toBe(prod.drRegion);
  });

  it('executions --workflow failover lists the DR-region state machine (what a lost start says to run)', async () => {
    state.executions.push({
      stateMachine: 'authdb-dr-prod-failover',
      name: 'region-loss-3',
      region: prod.drRegion,
      account: prod.account,
      startDate: new Date(Date.now() - 5 * MINUTE),
      statuses: ['RUNNING'],
    });
    const run = await cli(['executions', '--env', 'prod', '--workflow', 'failover']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Executions of ${FAILOVER_SM}:`);
    expect(run.stdout).toMatch(/failover\s+region-loss-3\s+RUNNING/);
    expect(standin.callsOf('ListExecutions').map((c) => c.region)).toEqual([prod.drRegion]);
  });
});

describe('authdb-dr standby', () => {
  const standby = (status: string, replicationStatus: string) =>
    state.instances.push({
      id: 'authdb-prod-standby',
      region: prod.drRegion,
      status,
      replicaSource: `arn:aws:rds:${prod.primaryRegion}:${prod.account}:db:authdb-prod`,
      replicationStatus,
    });
  const lag = (seconds: number) =>
    state.metrics?.push({
      region: prod.drRegion,
      namespace: 'AWS/RDS',
      metricName: 'ReplicaLag',
      dimensions: { DBInstanceIdentifier: 'authdb-prod-standby' },
      points: [
        { at: new Date(Date.now() - 4 * MINUTE), value: 900 },
        { at: new Date(Date.now() - 2 * MINUTE), value: seconds },
      ],
    });

  it('healthy: available, replicating, newest lag under the RPO target: exit 0, read in the DR region', async () => {
    standby('available', 'replicating');
    lag(12);
    const run = await cli(['standby', '--env', 'prod']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/State:\s+available/);
    expect(run.stdout).toMatch(/Source:\s+arn:aws:rds:ap-northeast-2:\d+:db:authdb-prod/);
    expect(run.stdout).toMatch(/Replication:\s+replicating/);
    expect(run.stdout).toMatch(/Lag:\s+12s at .* \(RPO target 5m/);
    expect(run.stdout).toContain('Healthy');
    expect(standin.calls.map((c) => [c.action, c.region])).toEqual([
      ['DescribeDBInstances', prod.drRegion],
      ['GetMetricData', prod.drRegion],
    ]);
  });

  it('lagging above the RPO target, or replication stopped: exit 1 naming the problem', async () => {
    standby('available', 'replicating');
    lag(prod.targets.rpoMinutes * 60 + 1);
    const lagging = await cli(['standby', '--env', 'prod']);
    expect(lagging.code).toBe(1);
    expect(lagging.stdout).toMatch(/NOT HEALTHY: lag 5m01s is above the RPO target 5m/);
    state.instances = [];
    state.metrics = [];
    standby('available', 'stopped');
    const stopped = await cli(['--output', 'json', 'standby', '--env', 'prod']);
    expect(stopped.code).toBe(1);
    const doc = JSON.parse(stopped.stdout);
    expect(doc).toMatchObject({ exists: true, healthy: false, replication: 'stopped', lagSeconds: null });
    expect(doc.problems).toEqual([
      'replication is stopped',
      'no ReplicaLag in the last 10 minutes (replication stopped, or not measured)',
    ]);
  });

  it('missing: exit 3 saying it does not exist in the DR region', async () => {
    const run = await cli(['standby', '--env', 'prod']);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`authdb-prod-standby does not exist in ${prod.drRegion}`);
    expect(standin.callsOf('GetMetricData')).toEqual([]);
  });
});
