import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { DescribeDBInstanceAutomatedBackupsCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { READINESS_METRICS } from '../../contract/metrics.js';
import { measureReadiness } from '../../lambda/readiness-monitor/readiness.js';
import { templateOf } from '../support/app.js';
import { rolePolicies } from '../support/iam-policies.js';

const rdsMock = mockClient(RDSClient);
const backupMock = mockClient(BackupClient);
const sfnMock = mockClient(SFNClient);
afterAll(() => {
  rdsMock.restore();
  backupMock.restore();
  sfnMock.restore();
});

const NOW = new Date('2026-11-30T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);

describe('readiness monitor function', () => {
  it('publishes each figure it measures, and leaves out one it cannot (so its alarm breaches)', async () => {
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
    const published: [string, number][] = [];
    const result = await measureReadiness(
      {
        productionInstanceId: 'authdb-prod',
        productionInstanceArn: 'arn:aws:rds:ap-northeast-2:333333333333:db:authdb-prod',
        drillStateMachineArn: 'arn:aws:states:ap-northeast-2:333333333333:stateMachine:authdb-dr-prod-drill',
      },
      {
        rds: new RDSClient({ region: 'ap-northeast-2' }),
        drRds: new RDSClient({ region: 'ap-northeast-1' }),
        backup: new BackupClient({}),
        sfn: new SFNClient({}),
        metrics: { addMetric: (name, _unit, value) => published.push([name, value]), publishStoredMetrics: () => {} },
        now: () => NOW,
      },
    );
    expect(published).toEqual([
      [READINESS_METRICS.primaryRestorableLag, 240],
      [READINESS_METRICS.recoveryPointAge, 7200],
      [READINESS_METRICS.lastDrillAge, 86_400],
    ]);
    expect(result.errors).toEqual({ drBackupLag: 'AccessDenied in ap-northeast-1' });
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
      ['delayedReplicaLag', 'drBackupLag', 'drillAge', 'primaryRestorableLag', 'recoveryPointAge'].sort(),
    );
    for (const p of alarms) expect(p.TreatMissingData).toBe('breaching');
    for (const name of ['primaryRestorableLag', 'drBackupLag']) {
      expect(byName[name]).toMatchObject({ Threshold: 300, EvaluationPeriods: 3, DatapointsToAlarm: 3, Period: 60 });
    }
    expect(byName.primaryRestorableLag).toMatchObject({ MetricName: READINESS_METRICS.primaryRestorableLag });
    expect(byName.drillAge).toMatchObject({ Threshold: 8 * 86_400, MetricName: READINESS_METRICS.lastDrillAge });
    expect(byName.delayedReplicaLag).toMatchObject({ MetricName: 'ReplicaLag', Threshold: 3600 + 300 });
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
      (a) => !/^(rds|backup|states):(Describe|List)/.test(a) && !/^(logs|xray):/.test(a) && a !== 'sqs:SendMessage',
    );
    expect(writes).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['rds:DescribeDBInstances', 'states:ListExecutions']));
  });
});
