// The contract between the alarms/dashboards (lib/) and the code that publishes metrics (lambda/, jobs/): every
// metric a template reads, with its exact dimensions, must be emitted by some function run here with a real
// Powertools Metrics. Missing data does not breach most alarms, so a drifted name or dimension would otherwise
// silence them with every other test green.
import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
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
      settings: {},
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
    target: { instanceId: 'authdb-contract-restored', status: 'available', available: true, checkedAt: iso(500) },
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

/** Runs a handler module the way Lambda does: environment set, module loaded, handler called. */
async function runHandler(path: string, env: Record<string, string>, event: unknown = {}) {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const module = (await import(path)) as { handler: (event: unknown, context?: unknown) => Promise<unknown> };
  return module.handler(event, {});
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
        }),
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
