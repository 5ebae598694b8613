import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Match } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DR_REGION_DRILL_SUCCESS, READINESS_METRICS } from '../../contract/metrics.js';
import { measureReadiness } from '../../lambda/readiness-monitor/readiness.js';
import { templateOf } from '../support/app.js';
import { rolePolicies } from '../support/iam-policies.js';

const rdsMock = mockClient(RDSClient);
const backupMock = mockClient(BackupClient);
const sfnMock = mockClient(SFNClient);
const cloudwatchMock = mockClient(CloudWatchClient);
afterAll(() => {
  cloudwatchMock.restore();
  rdsMock.restore();
  backupMock.restore();
  sfnMock.restore();
});

const NOW = new Date('2026-11-30T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);

type Points = { Timestamps: Date[]; Values: number[] };
/** GetMetricData in the DR region answers per metric name; an unlisted metric has no datapoints. */
function metricData(byName: Record<string, Points>) {
  cloudwatchMock.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => {
    const name = input.MetricDataQueries?.[0]?.MetricStat?.Metric?.MetricName ?? '';
    return { MetricDataResults: [{ Id: 'm', ...(byName[name] ?? { Timestamps: [], Values: [] }) }] };
  });
}
const DR_DRILL_POINTS = { Timestamps: [ago(3 * 86_400), ago(10 * 86_400)], Values: [1, 1] };

const CONFIG = {
  environment: 'prod',
  productionInstanceId: 'authdb-prod',
  productionInstanceArn: 'arn:aws:rds:ap-northeast-2:333333333333:db:authdb-prod',
  drillStateMachineArn: 'arn:aws:states:ap-northeast-2:333333333333:stateMachine:authdb-dr-prod-drill',
  drDrillLookbackDays: 70,
};

function measure(config: Parameters<typeof measureReadiness>[0] = CONFIG) {
  const published: [string, number][] = [];
  const run = measureReadiness(config, {
    rds: new RDSClient({ region: 'ap-northeast-2' }),
    drRds: new RDSClient({ region: 'ap-northeast-1' }),
    backup: new BackupClient({}),
    sfn: new SFNClient({}),
    drCloudWatch: new CloudWatchClient({ region: 'ap-northeast-1' }),
    metrics: { addMetric: (name, _unit, value) => published.push([name, value]), publishStoredMetrics: () => {} },
    now: () => NOW,
  });
  return run.then((result) => ({ ...result, published }));
}

describe('readiness monitor function', () => {
  beforeEach(() => {
    for (const m of [rdsMock, backupMock, sfnMock, cloudwatchMock]) m.reset();
    rdsMock.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ LatestRestorableTime: ago(240) }] });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).rejects(new Error('AccessDenied in ap-northeast-1'));
    backupMock.on(ListRecoveryPointsByResourceCommand).resolves({
      RecoveryPoints: [
        { Status: 'COMPLETED', CreationDate: ago(7200) },
        { Status: 'PARTIAL', CreationDate: ago(60) },
      ],
    });
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: 'a',
          stateMachineArn: 's',
          name: 'n',
          status: 'SUCCEEDED',
          startDate: ago(90_000),
          stopDate: ago(86_400),
        },
      ],
    });
    metricData({ [DR_REGION_DRILL_SUCCESS.metricName]: DR_DRILL_POINTS });
  });

  it('publishes each figure it measures, and leaves out one it cannot (so its alarm breaches)', async () => {
    const result = await measure();
    expect(result.published).toEqual([
      [READINESS_METRICS.primaryRestorableLag, 240],
      [READINESS_METRICS.recoveryPointAge, 7200],
      [READINESS_METRICS.lastDrillAge, 86_400],
      [READINESS_METRICS.lastDrDrillAge, 3 * 86_400],
    ]);
    expect(result.errors).toEqual({ drBackupLag: 'AccessDenied in ap-northeast-1' });
  });

  it("reads the DR-region drill's success metric in the DR region over the lookback, by its agreed name", async () => {
    await measure();
    const query = cloudwatchMock.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(query.MetricDataQueries?.[0]?.MetricStat).toEqual({
      Metric: {
        Namespace: 'AuthDbDr',
        // What the DR-region drill's report function emits (contract/metrics.ts).
        MetricName: 'DrillSucceeded',
        Dimensions: [
          { Name: 'Environment', Value: 'prod' },
          { Name: 'service', Value: 'dr-region-drill' },
        ],
      },
      Period: 3600,
      Stat: 'Sum',
    });
    expect(NOW.getTime() - query.StartTime!.getTime()).toBe(70 * 86_400_000);
  });

  it('leaves out the DR-region drill age when no DR-region drill succeeded within the lookback', async () => {
    metricData({});
    const result = await measure();
    expect(result.published.map(([name]) => name)).not.toContain(READINESS_METRICS.lastDrDrillAge);
  });

  it('counts only hours with a success: a failed DR-region drill publishes 0', async () => {
    metricData({
      [DR_REGION_DRILL_SUCCESS.metricName]: { Timestamps: [ago(3600), ago(5 * 86_400)], Values: [0, 1] },
    });
    const result = await measure();
    expect(result.figures.lastDrDrillAge).toBe(5 * 86_400);
  });

  it("publishes the standby's newest ReplicaLag from the DR region when a standby is configured", async () => {
    metricData({
      [DR_REGION_DRILL_SUCCESS.metricName]: DR_DRILL_POINTS,
      ReplicaLag: { Timestamps: [ago(120), ago(60)], Values: [400, 12.4] },
    });
    const result = await measure({ ...CONFIG, standbyInstanceId: 'authdb-prod-standby' });
    expect(result.published).toContainEqual([READINESS_METRICS.standbyLag, 12]);
    const lagQuery = cloudwatchMock
      .commandCalls(GetMetricDataCommand)
      .map((c) => c.args[0].input.MetricDataQueries?.[0]?.MetricStat)
      .find((m) => m?.Metric?.MetricName === 'ReplicaLag');
    expect(lagQuery?.Metric?.Dimensions).toEqual([{ Name: 'DBInstanceIdentifier', Value: 'authdb-prod-standby' }]);
  });

  it('reports a standby with no lag datapoint in 5 minutes as an error and publishes nothing for it', async () => {
    metricData({ [DR_REGION_DRILL_SUCCESS.metricName]: DR_DRILL_POINTS });
    const result = await measure({ ...CONFIG, standbyInstanceId: 'authdb-prod-standby' });
    expect(result.errors.standbyLag).toBe('no ReplicaLag of authdb-prod-standby in the last 5 minutes');
    expect(result.published.map(([name]) => name)).not.toContain(READINESS_METRICS.standbyLag);
  });

  it('measures no standby lag where none is configured', async () => {
    const result = await measure();
    expect(result.errors).not.toHaveProperty('standbyLag');
    expect(
      cloudwatchMock
        .commandCalls(GetMetricDataCommand)
        .map((c) => c.args[0].input.MetricDataQueries?.[0]?.MetricStat?.Metric?.MetricName),
    ).toEqual([DR_REGION_DRILL_SUCCESS.metricName]);
  });
});

describe('readiness monitor (prod template)', () => {
  const template = templateOf('prod', 'recovery');

  it('runs every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  it('alarms on RPO lag above 5 minutes for 3 minutes, drills older than 8 days, and treats missing data as breaching', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties)
      .filter((p) => String(p.AlarmName).includes('-readiness-'));
    const byName = Object.fromEntries(
      alarms.map((p) => [String(p.AlarmName).replace('authdb-dr-prod-readiness-', ''), p]),
    );
    expect(Object.keys(byName).sort()).toEqual(
      [
        'delayedReplicaLag',
        'drBackupLag',
        'drDrillAge',
        'drillAge',
        'primaryRestorableLag',
        'recoveryPointAge',
        'standbyLag',
      ].sort(),
    );
    for (const p of alarms) expect(p.TreatMissingData).toBe('breaching');
    for (const name of ['primaryRestorableLag', 'drBackupLag']) {
      expect(byName[name]).toMatchObject({ Threshold: 300, EvaluationPeriods: 3, DatapointsToAlarm: 3, Period: 60 });
    }
    expect(byName.primaryRestorableLag).toMatchObject({ MetricName: READINESS_METRICS.primaryRestorableLag });
    expect(byName.drillAge).toMatchObject({ Threshold: 8 * 86_400, MetricName: READINESS_METRICS.lastDrillAge });
    expect(byName.delayedReplicaLag).toMatchObject({ MetricName: 'ReplicaLag', Threshold: 3600 + 300 });
    expect(byName.drDrillAge).toMatchObject({
      Threshold: 35 * 86_400,
      MetricName: READINESS_METRICS.lastDrDrillAge,
      Namespace: 'AuthDbDr',
      Dimensions: expect.arrayContaining([{ Name: 'service', Value: 'readiness' }]),
    });
  });

  it('with the DR-region standby configured (prod), measures its lag and alarms above 5 minutes for 3 minutes', {
    timeout: 300_000,
  }, () => {
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((a) => a.Properties)
      .find((p) => p.AlarmName === 'authdb-dr-prod-readiness-standbyLag');
    expect(alarm).toMatchObject({
      MetricName: READINESS_METRICS.standbyLag,
      Threshold: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Period: 60,
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ STANDBY_INSTANCE_ID: 'authdb-prod-standby' }) },
    });
    // Off by default: no standby lag figure where no standby exists.
    const fn = Object.values(templateOf('dev', 'recovery').findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.DR_DRILL_LOOKBACK_DAYS,
    );
    expect(fn?.Properties.Environment.Variables).not.toHaveProperty('STANDBY_INSTANCE_ID');
    expect(fn?.Properties.Environment.Variables.DR_DRILL_LOOKBACK_DAYS).toBe('70');
  });

  it('is read-only: it may describe and list, and change nothing', () => {
    const role = rolePolicies(
      template,
      'ReadinessFunctionRole',
      { account: '333333333333', region: 'ap-northeast-2' },
      [templateOf('prod', 'database'), templateOf('prod', 'backup')],
    );
    const actions = role.policies
      .flatMap((p) => p.policy.Statement)
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => [s.Action].flat() as string[]);
    const writes = actions.filter(
      (a) =>
        !/^(rds|backup|states):(Describe|List)/.test(a) &&
        !/^(logs|xray):/.test(a) &&
        a !== 'sqs:SendMessage' &&
        a !== 'cloudwatch:GetMetricData',
    );
    expect(writes).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['rds:DescribeDBInstances', 'states:ListExecutions']));
  });
});
