import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DR_REGION_DRILL_SUCCESS, READINESS_METRICS } from '../../contract/metrics.js';
import { measureReadiness, type ReadinessConfig } from '../../lambda/readiness-monitor/readiness.js';
import { awsError } from '../support/restore-lambdas.js';

const NOW = new Date('2026-11-30T10:00:00.000Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);
const config: ReadinessConfig = {
  environment: 'prod',
  productionInstanceId: 'authdb-prod',
  productionInstanceArn: 'arn:aws:rds:ap-northeast-2:111111111111:db:authdb-prod',
  drillStateMachineArn: 'arn:aws:states:ap-northeast-2:111111111111:stateMachine:authdb-dr-prod-drill',
  standbyInstanceId: 'authdb-prod-standby',
  drDrillLookbackDays: 35,
};
// Two RDS clients in two regions: each instance is mocked on its own, so a call in the wrong region finds no answer.
const rds = new RDSClient({ region: 'ap-northeast-2' });
const drRds = new RDSClient({ region: 'ap-southeast-1' });
const rdsMock = mockClient(rds);
const drRdsMock = mockClient(drRds);
const backupMock = mockClient(BackupClient);
const sfnMock = mockClient(SFNClient);
const cwMock = mockClient(CloudWatchClient);

type Series = { Timestamps: Date[]; Values: number[] };
/** GetMetricData answers by metric name. */
function answerMetrics(byName: Record<string, Series>): void {
  cwMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const name = input.MetricDataQueries?.[0]?.MetricStat?.Metric?.MetricName ?? '';
    return { MetricDataResults: [byName[name] ?? { Timestamps: [], Values: [] }] };
  });
}

beforeEach(() => {
  for (const m of [rdsMock, drRdsMock, backupMock, sfnMock, cwMock]) m.reset();
  rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ LatestRestorableTime: ago(240) }] });
  drRdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
    DBInstanceAutomatedBackups: [
      { RestoreWindow: { LatestTime: ago(3600) } },
      { RestoreWindow: { LatestTime: ago(900) } },
      {},
    ],
  });
  backupMock.on(ListRecoveryPointsByResourceCommand).resolves({
    RecoveryPoints: [
      { Status: 'COMPLETED', CreationDate: ago(7200) },
      { Status: 'CREATING', CreationDate: ago(60) },
    ],
  });
  sfnMock.on(ListExecutionsCommand).resolves({
    executions: [
      {
        executionArn: `${config.drillStateMachineArn.replace(':stateMachine:', ':execution:')}:weekly`,
        stateMachineArn: config.drillStateMachineArn,
        name: 'weekly',
        status: 'SUCCEEDED',
        startDate: ago(90_000),
        stopDate: ago(86_400),
      },
    ],
  });
  answerMetrics({
    ReplicaLag: { Timestamps: [ago(60), ago(120)], Values: [4.4, 9] },
    // A failed run publishes 0: only the older success counts.
    [DR_REGION_DRILL_SUCCESS.metricName]: { Timestamps: [ago(3600), ago(172_800)], Values: [0, 1] },
  });
});

async function run(c: ReadinessConfig = config) {
  const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
  const result = await measureReadiness(c, {
    rds,
    drRds,
    backup: new BackupClient({}),
    sfn: new SFNClient({}),
    drCloudWatch: new CloudWatchClient({ region: 'ap-southeast-1' }),
    metrics,
    now: () => NOW,
  });
  return { result, metrics };
}

describe('readiness-monitor', () => {
  it('measures and publishes every figure', async () => {
    const { result, metrics } = await run();
    expect(result).toEqual({
      figures: {
        primaryRestorableLag: 240,
        drBackupLag: 900,
        recoveryPointAge: 7200,
        lastDrillAge: 86_400,
        lastDrDrillAge: 172_800,
        standbyLag: 4,
      },
      errors: {},
    });
    expect(metrics.addMetric).toHaveBeenCalledWith(READINESS_METRICS.standbyLag, 'Seconds', 4);
    expect(metrics.addMetric).toHaveBeenCalledWith(READINESS_METRICS.lastDrDrillAge, 'Seconds', 172_800);
    expect(metrics.addMetric).toHaveBeenCalledTimes(6);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledOnce();
    expect(drRdsMock.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'authdb-prod',
    });
    expect(sfnMock.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toMatchObject({
      stateMachineArn: config.drillStateMachineArn,
      statusFilter: 'SUCCEEDED',
    });
    const drill = cwMock
      .commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input)
      .find((i) => i.MetricDataQueries?.[0]?.MetricStat?.Metric?.MetricName === DR_REGION_DRILL_SUCCESS.metricName);
    expect(drill?.MetricDataQueries?.[0]?.MetricStat?.Metric).toEqual({
      Namespace: DR_REGION_DRILL_SUCCESS.namespace,
      MetricName: DR_REGION_DRILL_SUCCESS.metricName,
      Dimensions: [
        { Name: 'Environment', Value: 'prod' },
        { Name: 'service', Value: DR_REGION_DRILL_SUCCESS.service },
      ],
    });
    expect(drill?.StartTime).toEqual(ago(35 * 86_400));
  });

  it('leaves a figure out and names its error when an API call fails; the others are still published', async () => {
    backupMock.on(ListRecoveryPointsByResourceCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    rdsMock.on(DescribeDBInstancesCommand).rejects(awsError('ThrottlingException', 'slow down'));
    const { result, metrics } = await run();
    expect(result.errors).toEqual({ recoveryPointAge: 'not allowed', primaryRestorableLag: 'slow down' });
    expect(result.figures.recoveryPointAge).toBeNull();
    expect(metrics.addMetric.mock.calls.map((c) => c[0])).not.toContain(READINESS_METRICS.recoveryPointAge);
    expect(metrics.addMetric).toHaveBeenCalledTimes(4);
    expect(metrics.publishStoredMetrics).toHaveBeenCalledOnce();
  });

  it('publishes nothing for what has never happened (its alarm treats missing data as breaching)', async () => {
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{}] });
    drRdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
    backupMock.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [{ Status: 'PARTIAL' }] });
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
    answerMetrics({ [DR_REGION_DRILL_SUCCESS.metricName]: { Timestamps: [ago(60)], Values: [0] } });
    const { result, metrics } = await run({ ...config, standbyInstanceId: undefined });
    expect(result.figures).toEqual({
      primaryRestorableLag: null,
      drBackupLag: null,
      recoveryPointAge: null,
      lastDrillAge: null,
      lastDrDrillAge: null,
      standbyLag: null,
    });
    expect(result.errors).toEqual({});
    expect(metrics.addMetric).not.toHaveBeenCalled();
  });

  it('names the standby as an error when its ReplicaLag has no recent datapoint', async () => {
    answerMetrics({
      [DR_REGION_DRILL_SUCCESS.metricName]: { Timestamps: [ago(172_800)], Values: [1] },
    });
    const { result } = await run();
    expect(result.errors).toEqual({ standbyLag: 'no ReplicaLag of authdb-prod-standby in the last 5 minutes' });
    expect(result.figures.standbyLag).toBeNull();
  });

  it('does not look for a standby that is not configured', async () => {
    const { result } = await run({ ...config, standbyInstanceId: undefined });
    expect(result.figures.standbyLag).toBeNull();
    expect(
      cwMock
        .commandCalls(GetMetricDataCommand)
        .some((c) => c.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric?.MetricName === 'ReplicaLag'),
    ).toBe(false);
  });
});

describe('readiness-monitor handler', () => {
  const env = {
    DR_REGION: 'ap-southeast-1',
    ENVIRONMENT: 'prod',
    PRODUCTION_INSTANCE_ID: 'authdb-prod',
    PRODUCTION_INSTANCE_ARN: config.productionInstanceArn,
    DRILL_STATE_MACHINE_ARN: config.drillStateMachineArn,
    DR_DRILL_LOOKBACK_DAYS: '35',
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('measures with its configuration; without a standby it reads no ReplicaLag', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    // The handler makes its own clients: answer on every RDS client.
    const anyRds = mockClient(RDSClient);
    try {
      anyRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ LatestRestorableTime: ago(240) }] });
      anyRds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
      const { handler } = await import('../../lambda/readiness-monitor/handler.js');
      const result = await handler({});
      expect(result.figures.standbyLag).toBeNull();
      expect(result.errors).toEqual({});
      expect(sfnMock.commandCalls(ListExecutionsCommand)[0]!.args[0].input.stateMachineArn).toBe(
        config.drillStateMachineArn,
      );
    } finally {
      anyRds.restore();
    }
  });

  it('fails at load naming a missing or malformed variable', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv('DR_REGION', '');
    await expect(import('../../lambda/readiness-monitor/handler.js')).rejects.toThrow(
      'Missing environment variable DR_REGION',
    );
    vi.resetModules();
    vi.stubEnv('DR_REGION', 'ap-southeast-1');
    vi.stubEnv('DR_DRILL_LOOKBACK_DAYS', '5w');
    await expect(import('../../lambda/readiness-monitor/handler.js')).rejects.toThrow(
      'Environment variable DR_DRILL_LOOKBACK_DAYS must be a whole number, got "5w"',
    );
  });
});
