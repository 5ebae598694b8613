// The contract between the alarms/dashboards (lib/) and the code that publishes metrics (lambda/, jobs/): every
// metric a template reads, with its exact dimensions, must be emitted by some function run here with a real
// Powertools Metrics. Missing data does not breach most alarms, so a drifted name or dimension would otherwise
// silence them with every other test green.
import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { METRIC_DIMENSIONS } from '../../contract/metrics.js';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { environmentStacks } from '../support/app.js';
import { alarmMetricReads, dashboardMetricReads, type MetricId, type MetricRead } from './metrics-read.js';

/** Namespaces AWS publishes (not our code): read by alarms and widgets, emitted by the services themselves. */
const AWS_PUBLISHED = ['AWS/Backup', 'AWS/Events', 'AWS/RDS', 'AWS/Scheduler', 'AWS/States'];
/** The Environment dimension's value in what the functions emit here; templates' values are mapped to it. */
const ENV = 'contract-env';

const key = (m: MetricId) =>
  `${m.namespace} ${m.name} ${JSON.stringify(Object.fromEntries(Object.entries(m.dimensions).sort()))}`;

/** EMF documents written to stdout while `run` runs, as the metrics they carry. */
async function emitted(run: () => Promise<unknown>): Promise<MetricId[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    write.mockRestore();
  }
  const metrics: MetricId[] = [];
  for (const line of lines.join('').split('\n')) {
    if (!line.includes('"_aws"')) continue;
    const doc = JSON.parse(line) as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
    };
    for (const directive of doc._aws.CloudWatchMetrics) {
      for (const set of directive.Dimensions) {
        const dimensions = Object.fromEntries(set.map((d) => [d, String(doc[d])]));
        for (const m of directive.Metrics) metrics.push({ namespace: directive.Namespace, name: m.Name, dimensions });
      }
    }
  }
  return metrics;
}

const rds = mockClient(RDSClient);
const sfn = mockClient(SFNClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const backup = mockClient(BackupClient);
const cloudwatch = mockClient(CloudWatchClient);

const NOW = new Date();
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const iso = (seconds: number) => ago(seconds).toISOString();
const EXECUTION_ARN = 'arn:aws:states:ap-northeast-2:111111111111:execution:authdb-dr-contract-env-drill:exec-1';

function drillState() {
  const table = (name: string) => ({
    table: name,
    source: { total: 10, settled: 9 },
    restored: { total: 10, settled: 9, newest: iso(1210) },
    compared: 'settled',
    tolerance: 0,
    difference: 0,
    totalDifference: 0,
    withinTolerance: true,
  });
  return {
    plan: {
      environment: ENV,
      mode: 'point-in-time',
      sourceInstanceId: 'authdb-contract',
      source: { host: 'authdb-contract.example', port: 5432 },
      scratchInstanceId: 'drill-202611250101-abcdef12',
      executionArn: EXECUTION_ARN,
      executionName: 'exec-1',
      startedAt: iso(1300),
      rpo: { latestRestorableTime: iso(1500), lagSeconds: 200, measuredAt: iso(1300) },
    },
    sourceCounts: { countedAt: iso(1200), settleCutoff: iso(1500), tables: {} },
    restore: { instanceId: 'drill-x', requestedAt: iso(1100), restoreTime: iso(1200), alreadyRequested: false },
    scratch: {
      instanceId: 'drill-x',
      status: 'available',
      available: true,
      settled: true,
      failed: false,
      timedOut: false,
      checkedAt: iso(500),
      endpoint: { host: 'drill-x.example', port: 5432 },
    },
    verification: {
      compared: true,
      ok: true,
      complete: true,
      summary: 'match',
      verifiedAt: iso(200),
      verification: {
        ok: true,
        countedAt: iso(1200),
        settleCutoff: iso(1500),
        freshnessSeconds: 5,
        tables: [table('users')],
        missingTables: [],
      },
    },
    cleanup: { instanceId: 'drill-x', action: 'deleted', at: iso(100) },
  };
}

function restoreState() {
  return {
    plan: {
      environment: ENV,
      mode: 'point-in-time',
      sourceInstanceId: 'authdb-contract',
      targetInstanceId: 'authdb-contract-restored',
      instanceClass: 'db.t4g.medium',
      restoreTime: iso(3000),
      useLatestRestorableTime: false,
      source: null,
      settings: {
        instanceClass: 'db.t4g.medium',
        multiAz: false,
        subnetGroupName: 'authdb-contract-subnets',
        securityGroupIds: ['sg-0db'],
        parameterGroupName: 'authdb-contract-params',
        backupRetentionDays: 7,
        iamAuth: true,
        logExports: ['postgresql'],
      },
      cutover: false,
      preRestoreInstanceId: 'authdb-contract-pre-restore-x',
      executionArn: EXECUTION_ARN.replace('-drill', '-restore'),
      executionName: 'exec-2',
      startedAt: iso(1300),
    },
    restore: {
      instanceId: 'authdb-contract-restored',
      requestedAt: iso(1100),
      asOf: iso(3000),
      alreadyRequested: false,
    },
    target: {
      instanceId: 'authdb-contract-restored',
      status: 'available',
      available: true,
      settled: true,
      failed: false,
      timedOut: false,
      checkedAt: iso(500),
    },
    verification: {
      compared: false,
      ok: true,
      complete: true,
      summary: 'counted',
      verifiedAt: iso(200),
      report: { ok: true, compared: false, cutoff: iso(3000), tables: {}, missingTables: [] },
    },
  };
}

/** The DR-region drill's state: the primary drill's, run in the DR region with the primary counted at C. */
function drRegionDrillState() {
  const state = drillState();
  return {
    ...state,
    plan: {
      ...state.plan,
      executionArn: EXECUTION_ARN.replace('-drill', '-dr-region-drill'),
      region: 'ap-southeast-1',
      automatedBackupsArn: 'arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-contract',
      primary: { reachable: true, region: 'ap-northeast-2', checkedAt: iso(1300) },
    },
  };
}

/** A failover's state; `failed` ends it with a Catch's error. */
function failoverState(failed: boolean) {
  return {
    plan: {
      mode: 'replica',
      writerInstanceId: 'authdb-contract-standby',
      primaryInstanceId: 'authdb-contract',
      failureTime: iso(1800),
      recoveryPoint: iso(1850),
    },
    steps: {
      lastReplayed: { lastReplayedCommit: iso(1850) },
      started: { at: iso(1700) },
      available: failed ? null : { at: iso(900), endpoint: { host: 'standby.example', port: 5432 } },
      verification: failed ? null : { ok: true, summary: 'match', verifiedAt: iso(600) },
    },
    error: failed ? { Error: 'States.Timeout', Cause: 'promotion did not finish' } : null,
    execution: { Id: EXECUTION_ARN.replace('-drill', '-failover'), Name: 'exec-3', StartTime: iso(1700) },
  };
}

/** A rewind's state; `failed` ends it with a Catch's error before the promotion. */
function rewindState(failed: boolean) {
  return {
    plan: {
      incidentTime: iso(4000),
      replicaInstanceId: 'authdb-contract-delayed',
      startedAt: iso(3000),
      environment: ENV,
    },
    steps: failed
      ? { frozen: { frozenAt: iso(2900), at: iso(2900) } }
      : {
          frozen: { frozenAt: iso(2900), at: iso(2900) },
          target: { at: iso(2800) },
          reboot: { at: iso(2700) },
          reached: { recoveryPoint: iso(4001), at: iso(2000) },
          promote: { at: iso(1900) },
          promoted: { at: iso(1500) },
          verification: { ok: true, tables: {} },
        },
    error: failed ? { Error: 'RewindFailed', Cause: 'replay did not reach the target' } : null,
    execution: { Name: 'exec-4', Id: EXECUTION_ARN.replace('-drill', '-rewind') },
  };
}

/** Runs a handler module the way Lambda does: environment set, module loaded, handler called. */
async function runHandler(path: string, env: Record<string, string>, ...events: unknown[]) {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const module = (await import(path)) as { handler: (event: unknown, context?: unknown) => Promise<unknown> };
  // Several events: one module (one cold start), as Lambda reuses a warm container.
  for (const event of events.length > 0 ? events : [{}]) await module.handler(event, {});
}

const common = {
  AWS_REGION: 'ap-northeast-2',
  ENVIRONMENT: ENV,
  REPORT_BUCKET: 'reports',
  ALERT_TOPIC_ARN: 'arn:aws:sns:ap-northeast-2:111111111111:alerts',
  RTO_TARGET_SECONDS: '900',
  RPO_TARGET_SECONDS: '300',
};

const emittedByAll = new Map<string, string>();

beforeAll(async () => {
  rds.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      { DBInstanceIdentifier: 'authdb-contract', DBInstanceStatus: 'available', LatestRestorableTime: ago(60) },
    ],
  });
  rds
    .on(DescribeDBInstanceAutomatedBackupsCommand)
    .resolves({ DBInstanceAutomatedBackups: [{ RestoreWindow: { LatestTime: ago(120) } }] });
  backup
    .on(ListRecoveryPointsByResourceCommand)
    .resolves({ RecoveryPoints: [{ Status: 'COMPLETED', CreationDate: ago(3600) }] });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(ListExecutionsCommand, { statusFilter: 'SUCCEEDED' }).resolves({
    executions: [
      {
        executionArn: EXECUTION_ARN,
        stateMachineArn: 'x',
        name: 'e',
        status: 'SUCCEEDED',
        startDate: ago(9000),
        stopDate: ago(8000),
      },
    ],
  });
  sfn.on(DescribeStateMachineCommand).resolves({ creationDate: ago(86_400) });
  // The DR region's datapoints: the DR-region drill's last success and the standby's ReplicaLag.
  cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Timestamps: [ago(3600)], Values: [1] }] });
  s3.on(PutObjectCommand).resolves({});
  sns.on(PublishCommand).resolves({});

  const runs: [string, () => Promise<unknown>][] = [
    ['drill-report', () => runHandler('../../lambda/drill-report/handler.js', common, drillState())],
    ['drill-sweeper', () => runHandler('../../lambda/drill-sweeper/handler.js', { ...common, MAX_AGE_HOURS: '6' })],
    [
      'readiness-monitor',
      () =>
        runHandler('../../lambda/readiness-monitor/handler.js', {
          ...common,
          PRODUCTION_INSTANCE_ID: 'authdb-contract',
          PRODUCTION_INSTANCE_ARN: 'arn:aws:rds:ap-northeast-2:111111111111:db:authdb-contract',
          DRILL_STATE_MACHINE_ARN:
            'arn:aws:states:ap-northeast-2:111111111111:stateMachine:authdb-dr-contract-env-drill',
          DR_REGION: 'ap-southeast-1',
          DR_DRILL_LOOKBACK_DAYS: '35',
          STANDBY_INSTANCE_ID: 'authdb-contract-standby',
        }),
    ],
    ['dr-drill-report', () => runHandler('../../lambda/dr-drill-report/handler.js', common, drRegionDrillState())],
    [
      'dr-drill-age',
      () =>
        runHandler('../../lambda/dr-drill-age/handler.js', {
          ...common,
          STATE_MACHINE_ARN:
            'arn:aws:states:ap-southeast-1:111111111111:stateMachine:authdb-dr-contract-env-dr-region-drill',
        }),
    ],
    [
      'failover-report',
      () =>
        runHandler(
          '../../lambda/failover-report/handler.js',
          { ...common, DATABASE_NAME: 'authdb' },
          failoverState(false),
          failoverState(true),
        ),
    ],
    [
      'rewind-report',
      () =>
        runHandler(
          '../../lambda/rewind-report/handler.js',
          { ...common, MARGIN_SECONDS: '1', PRODUCTION_INSTANCE_ID: 'authdb-contract' },
          rewindState(false),
          rewindState(true),
        ),
    ],
    ['restore-report', () => runHandler('../../lambda/restore-report/handler.js', common, restoreState())],
    [
      'logical-dump',
      async () => {
        // The job as the task runs it; the database is unreachable here, so it reports a failed dump.
        const { main } = await import('../../jobs/logical-dump/main.js');
        return main({
          AUTHDB_ENVIRONMENT: ENV,
          DUMP_BUCKET: 'dumps',
          DUMP_KMS_KEY_ARN: 'arn:aws:kms:ap-northeast-2:111111111111:key/11111111-2222-3333-4444-555555555555',
          DB_HOST: '127.0.0.1',
          DB_PORT: '9',
          DB_NAME: 'authdb',
          DB_USER: 'dumper',
          DB_INSTANCE_ID: 'authdb-contract',
          AWS_REGION: 'ap-northeast-2',
          DB_CA_BUNDLE: '/nonexistent/ca.pem',
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'secret',
        });
      },
    ],
  ];
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
  for (const [name, run] of runs) {
    const metrics = await emitted(run);
    if (metrics.length === 0) throw new Error(`${name} emitted no metric`);
    for (const m of metrics) emittedByAll.set(key(m), name);
  }
}, 120_000);

afterAll(() => {
  vi.unstubAllEnvs();
});

/** Every metric the templates of `environment` read, with its Environment dimension mapped to ENV. */
function readsOf(environment: string): MetricRead[] {
  const { app: _app, ...stacks } = environmentStacks(environment);
  const reads: MetricRead[] = [];
  for (const [stackName, stack] of Object.entries(stacks)) {
    if (stack === undefined) continue; // switched off in this environment's config
    const template = Template.fromStack(stack);
    for (const read of [...alarmMetricReads(template), ...dashboardMetricReads(template)]) {
      reads.push({ ...read, readBy: `${stackName}: ${read.readBy}` });
    }
  }
  return reads;
}

describe('metric contract: what the alarms and dashboards read is what the functions emit', () => {
  it.each(Object.keys(ENVIRONMENTS))(
    '%s: every metric read in our namespace is emitted with the same dimensions',
    (name) => {
      const reads = readsOf(name);
      const ours = reads.filter((r) => !AWS_PUBLISHED.includes(r.namespace));
      expect(ours.length).toBeGreaterThan(10);
      const missing: string[] = [];
      for (const read of ours) {
        const environment = read.dimensions[METRIC_DIMENSIONS.environment];
        if (environment !== name) {
          missing.push(`${read.readBy} reads ${key(read)}: its Environment dimension is not ${name}`);
          continue;
        }
        const asEmitted = { ...read, dimensions: { ...read.dimensions, [METRIC_DIMENSIONS.environment]: ENV } };
        if (!emittedByAll.has(key(asEmitted))) missing.push(`${read.readBy} reads ${key(read)}: nothing emits it`);
      }
      expect(missing).toEqual([]);
      // The AWS namespaces listed are really read (a stale entry would hide a namespace we publish into).
      expect(new Set(reads.map((r) => r.namespace).filter((n) => AWS_PUBLISHED.includes(n)))).toEqual(
        new Set(AWS_PUBLISHED),
      );
    },
    240_000,
  );
});
