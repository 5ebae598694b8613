import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { RecoveryDashboard, type RecoveryDashboardProps } from '../../lib/constructs/recovery-dashboard.js';
import { testApp } from '../support/app.js';

const DRILL_ARN = 'arn:aws:states:ap-northeast-2:111111111111:stateMachine:authdb-dr-dev-drill';
const RESTORE_ARN = 'arn:aws:states:ap-northeast-2:111111111111:stateMachine:authdb-dr-dev-restore';
const ALARM_ARN = 'arn:aws:cloudwatch:ap-northeast-2:111111111111:alarm:authdb-dr-dev-drill-RtoAboveTarget';

interface Widget {
  type: string;
  width: number;
  properties: {
    title?: string;
    markdown?: string;
    stacked?: boolean;
    alarms?: string[];
    metrics?: unknown[][];
    annotations?: { horizontal?: { value: number; label?: string; yAxis?: string }[] };
  };
}

interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
  stat: string;
  period: number;
  region?: string;
  yAxis?: string;
}

function build(
  options: {
    restore?: boolean;
    alarms?: boolean;
    readiness?: 'standby' | 'no standby';
    props?: Partial<RecoveryDashboardProps>;
  } = {},
) {
  const stack = new Stack(testApp(), 'S', { env: { account: '111111111111', region: 'ap-northeast-2' } });
  const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, 'Db', {
    instanceIdentifier: 'authdb-dev',
    instanceEndpointAddress: 'authdb-dev.abc.ap-northeast-2.rds.amazonaws.com',
    port: 5432,
    securityGroups: [],
  });
  new RecoveryDashboard(stack, 'Dashboard', {
    environment: 'dev',
    database,
    drillStateMachine: sfn.StateMachine.fromStateMachineArn(stack, 'Drill', DRILL_ARN),
    restoreStateMachine: options.restore
      ? sfn.StateMachine.fromStateMachineArn(stack, 'Restore', RESTORE_ARN)
      : undefined,
    rtoTarget: Duration.minutes(15),
    rpoTarget: Duration.minutes(5),
    rpoAlarmThreshold: Duration.minutes(7),
    alarms: options.alarms ? [cloudwatch.Alarm.fromAlarmArn(stack, 'Alarm', ALARM_ARN)] : undefined,
    readiness: options.readiness
      ? {
          drRegion: 'ap-northeast-1',
          schedule: Duration.minutes(1),
          recoveryPointMaxAge: Duration.hours(26),
          standby: options.readiness === 'standby',
        }
      : undefined,
    ...options.props,
  });
  const template = Template.fromStack(stack);
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const properties = dashboards[0]!.Properties as { DashboardName: string; DashboardBody: unknown };
  const body = JSON.parse(resolveBody(properties.DashboardBody)) as { start: string; widgets: Widget[] };
  return { name: properties.DashboardName, body, widgets: body.widgets };
}

/** The body is an Fn::Join of strings and tokens (the region); each token becomes a placeholder. */
function resolveBody(body: unknown): string {
  if (typeof body === 'string') return body;
  const [separator, parts] = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(separator);
}

function titles(widgets: Widget[]): string[] {
  return widgets.filter((w) => w.type !== 'text').map((w) => w.properties.title ?? '');
}

function headings(widgets: Widget[]): string[] {
  return widgets.filter((w) => w.properties.markdown?.startsWith('## ')).map((w) => w.properties.markdown!.slice(3));
}

function widget(widgets: Widget[], title: string): Widget {
  const found = widgets.filter((w) => w.properties.title === title);
  expect(found, title).toHaveLength(1);
  return found[0]!;
}

/** `[namespace, name, dimension, value, …, { options }]`, as the dashboard body writes each metric. */
function metricsOf(w: Widget): MetricRef[] {
  return (w.properties.metrics ?? []).map((line) => {
    const options = line[line.length - 1] as { stat: string; period: number; region?: string; yAxis?: string };
    const [namespace, name, ...pairs] = line.slice(0, -1) as string[];
    const dimensions: Record<string, string> = {};
    for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
    return {
      namespace: namespace!,
      name: name!,
      dimensions,
      stat: options.stat,
      period: options.period,
      ...(options.region ? { region: options.region } : {}),
      ...(options.yAxis ? { yAxis: options.yAxis } : {}),
    };
  });
}

const DRILL = { Environment: 'dev', service: 'dr-drill' };
const RESTORE = { Environment: 'dev', service: 'restore' };
const DAY = 86_400;
const HOUR = 3_600;

const drill = (name: string, stat: string, period: number): MetricRef => ({
  namespace: 'AuthDbDr',
  name,
  dimensions: DRILL,
  stat,
  period,
});
const executions = (arn: string): MetricRef[] =>
  ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((name) => ({
    namespace: 'AWS/States',
    name,
    dimensions: { StateMachineArn: arn },
    stat: 'Sum',
    period: DAY,
  }));
const rds_ = (name: string, stat: string): MetricRef => ({
  namespace: 'AWS/RDS',
  name,
  dimensions: { DBInstanceIdentifier: 'authdb-dev' },
  stat,
  period: HOUR,
});

const BASE_TITLES = [
  'RPO lag per drill (max per hour)',
  'Newest restored row age (freshness)',
  'Drill restore and verification time (stacked)',
  'Drill RTO (restore requested to verified)',
  'Last drill',
  'Drills per day: outcome and unsuccessful executions',
  'Mismatched tables',
  'Orphaned drill instances',
  'AWS Backup jobs failed or aborted per day (RDS)',
  'Free storage space',
  'CPU utilization',
  'Database connections',
  'Transaction logs disk usage',
];
const RESTORE_TITLES = ['Restores per day: outcome and unsuccessful executions', 'Restore RTO (requested to verified)'];

describe('RecoveryDashboard', () => {
  it('is one dashboard named after the environment, showing the last 8 weeks', () => {
    const { name, body } = build();
    expect(name).toBe('authdb-dr-dev');
    expect(body.start).toBe('-P56D');
  });

  it('has a header with the targets, then the RPO, RTO, drill, backup and database rows', () => {
    const { widgets } = build();
    expect(titles(widgets)).toEqual(BASE_TITLES);
    expect(headings(widgets)).toEqual(['RPO', 'RTO of the last drills', 'Drill outcomes', 'Backups', 'Database']);
    const header = widgets[0]!.properties.markdown!;
    expect(header).toContain('RTO 15 min');
    expect(header).toContain('RPO 5 min');
    expect(header).toContain('authdb-dev');
    // 1 header + 5 headings + 13 graphs and single values.
    expect(widgets).toHaveLength(19);
    for (const w of widgets) expect(w.width, w.properties.title).toBeLessThanOrEqual(24);
  });

  it('shows the RPO lag against the target and the alarm threshold', () => {
    const { widgets } = build();
    const rpo = widget(widgets, 'RPO lag per drill (max per hour)');
    expect(rpo.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 300, label: 'RPO target 5 min' }),
      expect.objectContaining({ value: 420, label: 'alarm threshold 7 min' }),
    ]);
    expect(metricsOf(rpo)).toEqual([drill('RpoLagSeconds', 'Maximum', HOUR)]);
    expect(metricsOf(widget(widgets, 'Newest restored row age (freshness)'))).toEqual([
      drill('FreshnessSeconds', 'Maximum', HOUR),
    ]);
  });

  it('shows the drill RTO, stacked by phase and in total, against the restore-time target', () => {
    const { widgets } = build();
    const phases = widget(widgets, 'Drill restore and verification time (stacked)');
    const total = widget(widgets, 'Drill RTO (restore requested to verified)');
    expect(phases.properties.stacked).toBe(true);
    expect(total.properties.stacked).toBeUndefined();
    for (const w of [phases, total]) {
      expect(w.properties.annotations?.horizontal).toEqual([
        expect.objectContaining({ value: 900, label: expect.stringMatching(/^restore-time target/) }),
      ]);
    }
    expect(metricsOf(phases)).toEqual([
      drill('RestoreSeconds', 'Maximum', DAY),
      drill('VerifySeconds', 'Maximum', DAY),
    ]);
    expect(metricsOf(total)).toEqual([drill('RtoSeconds', 'Maximum', DAY)]);
    const last = widget(widgets, 'Last drill');
    expect(last.type).toBe('metric');
    expect(metricsOf(last).map((m) => m.name)).toEqual(['RtoSeconds', 'RpoLagSeconds']);
    expect(metricsOf(last).every((m) => m.namespace === 'AuthDbDr' && m.dimensions.service === 'dr-drill')).toBe(true);
  });

  it('shows drill outcomes per day next to the drill state machine executions that did not succeed', () => {
    const { widgets } = build();
    expect(metricsOf(widget(widgets, 'Drills per day: outcome and unsuccessful executions'))).toEqual([
      drill('DrillSucceeded', 'Sum', DAY),
      drill('DrillFailed', 'Sum', DAY),
      ...executions(DRILL_ARN),
    ]);
    expect(metricsOf(widget(widgets, 'Mismatched tables'))).toEqual([drill('MismatchedTables', 'Maximum', DAY)]);
    expect(metricsOf(widget(widgets, 'Orphaned drill instances'))).toEqual([
      drill('OrphanedDrillInstances', 'Maximum', DAY),
    ]);
  });

  it("shows AWS Backup's failed and aborted jobs for RDS, summed per day", () => {
    const { widgets } = build();
    expect(metricsOf(widget(widgets, 'AWS Backup jobs failed or aborted per day (RDS)'))).toEqual(
      [
        'NumberOfBackupJobsFailed',
        'NumberOfBackupJobsAborted',
        'NumberOfCopyJobsFailed',
        'NumberOfRestoreJobsFailed',
      ].map((name) => ({
        namespace: 'AWS/Backup',
        name,
        dimensions: { ResourceType: 'RDS' },
        stat: 'Sum',
        period: DAY,
      })),
    );
  });

  it('shows the source instance, and no replica lag (a DB instance without read replicas has none)', () => {
    const { widgets } = build();
    expect(metricsOf(widget(widgets, 'Free storage space'))).toEqual([rds_('FreeStorageSpace', 'Minimum')]);
    expect(metricsOf(widget(widgets, 'CPU utilization'))).toEqual([rds_('CPUUtilization', 'Maximum')]);
    expect(metricsOf(widget(widgets, 'Database connections'))).toEqual([rds_('DatabaseConnections', 'Maximum')]);
    expect(metricsOf(widget(widgets, 'Transaction logs disk usage'))).toEqual([
      rds_('TransactionLogsDiskUsage', 'Maximum'),
    ]);
    const all = widgets.flatMap(metricsOf).map((m) => m.name);
    expect(all).not.toContain('ReplicaLag');
    expect(all).not.toContain('OldestReplicationSlotLag');
  });

  it('adds the restore row only when the restore state machine is given', () => {
    const without = build().widgets;
    const withRestore = build({ restore: true }).widgets;
    expect(titles(without)).toEqual(BASE_TITLES);
    expect(titles(withRestore)).toEqual([...BASE_TITLES, ...RESTORE_TITLES]);
    expect(withRestore).toHaveLength(without.length + 3);
    expect(headings(withRestore).at(-1)).toBe('Restores');

    const restoreMetric = (name: string, stat: string): MetricRef => ({
      namespace: 'AuthDbDr',
      name,
      dimensions: RESTORE,
      stat,
      period: DAY,
    });
    expect(metricsOf(widget(withRestore, RESTORE_TITLES[0]!))).toEqual([
      restoreMetric('RestoreSucceeded', 'Sum'),
      restoreMetric('RestoreFailed', 'Sum'),
      ...executions(RESTORE_ARN),
    ]);
    const rto = widget(withRestore, RESTORE_TITLES[1]!);
    expect(metricsOf(rto)).toEqual([restoreMetric('RestoreRtoSeconds', 'Maximum')]);
    expect(rto.properties.annotations?.horizontal).toEqual([
      expect.objectContaining({ value: 900, label: expect.stringMatching(/^restore-time target/) }),
    ]);
  });

  it('shows an alarm status widget only when alarms are given', () => {
    const without = build().widgets;
    const withAlarms = build({ alarms: true }).widgets;
    expect(without.filter((w) => w.type === 'alarm')).toHaveLength(0);
    const alarms = withAlarms.filter((w) => w.type === 'alarm');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.properties.alarms).toEqual([ALARM_ARN]);
    expect(withAlarms).toHaveLength(without.length + 1);
    expect(withAlarms[0]!.width + alarms[0]!.width).toBe(24);
  });

  it('rejects an RPO alarm threshold below the RPO target', () => {
    expect(() => build({ props: { rpoAlarmThreshold: Duration.minutes(4) } })).toThrow(
      /'rpoAlarmThreshold' must be at least 'rpoTarget' \(300 s\), but got 240 s/,
    );
  });

  it('rejects an environment that cannot name a dashboard', () => {
    expect(() => build({ props: { environment: 'dev env' } })).toThrow(
      /'environment' must contain only letters, digits, '-' and '_' .*but got 'dev env'/,
    );
  });
});

describe('RecoveryDashboard readiness row', () => {
  const READINESS = { Environment: 'dev', service: 'readiness' };
  const REWIND = { Environment: 'dev', service: 'rewind' };
  const MINUTE = 60;
  const CLASSES = [
    'Instance or AZ lost (Multi-AZ failover; PITR fallback)',
    'Region lost (promote the standby; PITR in the DR region)',
    'Bad write (rewind the delayed replica)',
    'Backups tampered with (restore a locked copy)',
  ];
  const readiness = (name: string): MetricRef => ({
    namespace: 'AuthDbDr',
    name,
    dimensions: READINESS,
    stat: 'Maximum',
    period: MINUTE,
  });

  it('comes right under the header: one graph per failure class across the full width', () => {
    const without = build().widgets;
    const { widgets } = build({ readiness: 'standby' });
    expect(headings(widgets)[0]).toBe('Recovery readiness per failure class (RPO now, RTO last measured)');
    expect(titles(widgets).slice(0, 4)).toEqual(CLASSES);
    expect(titles(widgets).slice(4)).toEqual(BASE_TITLES);
    expect(widgets).toHaveLength(without.length + 5);
    expect(CLASSES.map((t) => widget(widgets, t).width).reduce((a, b) => a + b)).toBe(24);
  });

  it('marks the RPO target (5 min) on the left and the RTO target (15 min) on the right of every class', () => {
    const { widgets } = build({ readiness: 'standby' });
    for (const title of CLASSES) {
      const horizontal = widget(widgets, title).properties.annotations?.horizontal ?? [];
      expect(horizontal, title).toContainEqual(expect.objectContaining({ value: 300, label: 'RPO target 5 min' }));
      expect(horizontal, title).toContainEqual(
        expect.objectContaining({ value: 900, label: 'RTO target 15 min', yAxis: 'right' }),
      );
      const metrics = metricsOf(widget(widgets, title));
      expect(
        metrics.filter((m) => m.yAxis === 'right'),
        title,
      ).toHaveLength(1);
      expect(metrics.filter((m) => m.yAxis !== 'right').length, title).toBeGreaterThan(0);
    }
  });

  it('reads each class from the figures of its own path', () => {
    const { widgets } = build({ readiness: 'standby' });
    const [instance, region, badWrite, tampering] = CLASSES.map((t) => metricsOf(widget(widgets, t)));
    expect(instance).toEqual([
      readiness('PrimaryRestorableLagSeconds'),
      { ...drill('RtoSeconds', 'Maximum', DAY), yAxis: 'right' },
    ]);
    expect(region).toEqual([
      readiness('StandbyReplicaLagSeconds'),
      readiness('DrReplicatedBackupLagSeconds'),
      {
        namespace: 'AuthDbDr',
        name: 'RtoSeconds',
        dimensions: { Environment: 'dev', service: 'dr-region-drill' },
        stat: 'Maximum',
        period: DAY,
        region: 'ap-northeast-1',
        yAxis: 'right',
      },
    ]);
    expect(badWrite).toEqual([
      { namespace: 'AuthDbDr', name: 'RewindRecoveryGapSeconds', dimensions: REWIND, stat: 'Maximum', period: DAY },
      {
        namespace: 'AuthDbDr',
        name: 'RewindRtoSeconds',
        dimensions: REWIND,
        stat: 'Maximum',
        period: DAY,
        yAxis: 'right',
      },
    ]);
    expect(tampering).toEqual([
      readiness('RecoveryPointAgeSeconds'),
      { ...restore('RestoreRtoSeconds'), yAxis: 'right' },
    ]);
    expect(widget(widgets, CLASSES[3]!).properties.annotations?.horizontal).toContainEqual(
      expect.objectContaining({ value: 26 * HOUR, label: 'recovery point alarm 26 h' }),
    );
  });

  it('shows no standby lag where no standby is measured', () => {
    const { widgets } = build({ readiness: 'no standby' });
    expect(metricsOf(widget(widgets, CLASSES[1]!)).map((m) => m.name)).toEqual([
      'DrReplicatedBackupLagSeconds',
      'RtoSeconds',
    ]);
  });
});

function restore(name: string): MetricRef {
  return {
    namespace: 'AuthDbDr',
    name,
    dimensions: { Environment: 'dev', service: 'restore' },
    stat: 'Maximum',
    period: DAY,
  };
}
