import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { resourcePrefix } from '../../contract/names.js';
import { type ReadinessRowProps, readinessRow } from './readiness-row.js';
import {
  backupJobMetrics,
  databaseMetrics,
  drillDashboardMetrics,
  restoreOutcomeMetrics,
  unsuccessfulExecutionMetrics,
} from './recovery-metrics.js';

export interface RecoveryDashboardProps {
  readonly environment: string;
  /** The source database. */
  readonly database: rds.IDatabaseInstance;
  readonly drillStateMachine: sfn.IStateMachine;
  /**
   * The restore workflow; adds a row of its executions and RTO.
   * @default - no restore row
   */
  readonly restoreStateMachine?: sfn.IStateMachine;
  readonly rtoTarget: Duration;
  readonly rpoTarget: Duration;
  /** Where the RPO alarm fires: the RPO target plus a margin. */
  readonly rpoAlarmThreshold: Duration;
  /**
   * Alarms shown in an alarm status widget next to the header.
   * @default - no alarm status widget
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * Adds, under the header, a readiness row: per failure class the RPO figure now and the RTO last measured.
   * @default - no readiness row
   */
  readonly readiness?: Omit<ReadinessRowProps, 'environment' | 'rtoTarget' | 'rpoObjective'>;
}

const FULL_WIDTH = 24;

/**
 * One CloudWatch dashboard, `authdb-dr-<environment>`, over the last 8 weeks: the RPO and RTO the drills measured
 * against their targets, the drills' outcomes, AWS Backup's failed jobs, the source database and, when given, the
 * restore workflow. The metrics come from `recovery-metrics.ts`; this class only lays them out.
 */
export class RecoveryDashboard extends Construct {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RecoveryDashboardProps) {
    super(scope, id);
    validate(props);
    const e = props.environment;
    const rtoSeconds = props.rtoTarget.toSeconds();
    const rtoAnnotation: cloudwatch.HorizontalAnnotation = {
      value: rtoSeconds,
      label: `restore-time target (RTO ${minutes(props.rtoTarget)} min)`,
      color: cloudwatch.Color.RED,
    };
    const rtoGraph = (title: string, width: number, left: cloudwatch.IMetric[], stacked?: boolean) =>
      new cloudwatch.GraphWidget({
        title,
        width,
        left,
        stacked,
        leftAnnotations: [rtoAnnotation],
        leftYAxis: seconds(),
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: resourcePrefix(e),
      defaultInterval: Duration.days(56),
    });

    this.dashboard.addWidgets(...headerRow(props));
    if (props.readiness) {
      this.dashboard.addWidgets(heading('Recovery readiness per failure class (RPO now, RTO last measured)'));
      this.dashboard.addWidgets(
        ...readinessRow({
          ...props.readiness,
          environment: e,
          rtoTarget: props.rtoTarget,
          rpoObjective: props.rpoTarget,
        }),
      );
    }

    const drill = drillDashboardMetrics(e);
    this.dashboard.addWidgets(heading('RPO'));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'RPO lag per drill (max per hour)',
        width: 16,
        left: [drill.rpoLag],
        leftAnnotations: [
          { value: props.rpoTarget.toSeconds(), label: `RPO target ${minutes(props.rpoTarget)} min` },
          {
            value: props.rpoAlarmThreshold.toSeconds(),
            label: `alarm threshold ${minutes(props.rpoAlarmThreshold)} min`,
            color: cloudwatch.Color.RED,
          },
        ],
        leftYAxis: seconds(),
      }),
      new cloudwatch.GraphWidget({
        title: 'Newest restored row age (freshness)',
        width: 8,
        left: [drill.freshness],
        leftYAxis: seconds(),
      }),
    );

    // Restore and verification add up to the RTO; stacking applies to a whole graph, so the total has its own.
    this.dashboard.addWidgets(heading('RTO of the last drills'));
    this.dashboard.addWidgets(
      rtoGraph('Drill restore and verification time (stacked)', 9, [drill.restore, drill.verify], true),
      rtoGraph('Drill RTO (restore requested to verified)', 9, [drill.rto]),
      new cloudwatch.SingleValueWidget({
        title: 'Last drill',
        width: 6,
        height: 6,
        metrics: [drill.lastRto, drill.lastRpoLag],
      }),
    );

    this.dashboard.addWidgets(heading('Drill outcomes'));
    this.dashboard.addWidgets(
      outcomeGraph('Drills per day: outcome and unsuccessful executions', drill, props.drillStateMachine),
      new cloudwatch.GraphWidget({
        title: 'Mismatched tables',
        width: 6,
        left: [drill.mismatchedTables],
        leftYAxis: count(),
      }),
      new cloudwatch.GraphWidget({
        title: 'Orphaned drill instances',
        width: 6,
        left: [drill.orphanedInstances],
        leftYAxis: count(),
      }),
    );

    const jobs = backupJobMetrics();
    this.dashboard.addWidgets(heading('Backups'));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'AWS Backup jobs failed or aborted per day (RDS)',
        width: FULL_WIDTH,
        left: [jobs.backupFailed, jobs.backupAborted, jobs.copyFailed, jobs.restoreFailed],
        leftYAxis: count(),
      }),
    );

    const db = databaseMetrics(props.database);
    this.dashboard.addWidgets(heading('Database'));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Free storage space', left: [db.freeStorage], leftYAxis: { min: 0 } }),
      new cloudwatch.GraphWidget({ title: 'CPU utilization', left: [db.cpu], leftYAxis: { min: 0, max: 100 } }),
      new cloudwatch.GraphWidget({ title: 'Database connections', left: [db.connections], leftYAxis: count() }),
      new cloudwatch.GraphWidget({
        title: 'Transaction logs disk usage',
        left: [db.transactionLogs],
        leftYAxis: { min: 0 },
      }),
    );

    if (props.restoreStateMachine) {
      const restore = restoreOutcomeMetrics(e);
      this.dashboard.addWidgets(heading('Restores'));
      this.dashboard.addWidgets(
        outcomeGraph('Restores per day: outcome and unsuccessful executions', restore, props.restoreStateMachine),
        rtoGraph('Restore RTO (requested to verified)', 12, [restore.rto]),
      );
    }
  }
}

function validate(props: RecoveryDashboardProps): void {
  const e = props.environment;
  if (!Token.isUnresolved(e) && !/^[A-Za-z0-9_-]+$/.test(e)) {
    throw new Error(
      `'environment' must contain only letters, digits, '-' and '_' (it names the dashboard), but got '${e}'`,
    );
  }
  const target = props.rpoTarget.toSeconds();
  const threshold = props.rpoAlarmThreshold.toSeconds();
  if (threshold < target) {
    throw new Error(`'rpoAlarmThreshold' must be at least 'rpoTarget' (${target} s), but got ${threshold} s`);
  }
}

function headerRow(props: RecoveryDashboardProps): cloudwatch.IWidget[] {
  const alarms = props.alarms ?? [];
  const markdown = [
    `# authdb-dr ${props.environment}: backup and disaster recovery`,
    `What the DR drills measured when restoring the database **${props.database.instanceIdentifier}** ` +
      'to a scratch instance and counting its rows against the source, over the last 8 weeks; AWS Backup failures; ' +
      'the source database.',
    `Targets: **RTO ${minutes(props.rtoTarget)} min** (restore requested to verified), ` +
      `**RPO ${minutes(props.rpoTarget)} min** (RPO alarm above ${minutes(props.rpoAlarmThreshold)} min).`,
  ].join('\n\n');
  const text = new cloudwatch.TextWidget({ markdown, width: alarms.length > 0 ? 16 : FULL_WIDTH, height: 4 });
  if (alarms.length === 0) return [text];
  return [text, new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms, width: 8, height: 4 })];
}

/** A workflow's outcomes per day as its report counts them, beside the executions that ended before reporting. */
function outcomeGraph(
  title: string,
  outcomes: { readonly succeeded: cloudwatch.IMetric; readonly failed: cloudwatch.IMetric },
  stateMachine: sfn.IStateMachine,
): cloudwatch.GraphWidget {
  const executions = unsuccessfulExecutionMetrics(stateMachine);
  return new cloudwatch.GraphWidget({
    title,
    width: 12,
    left: [outcomes.succeeded, outcomes.failed, executions.failed, executions.timedOut, executions.aborted],
    leftYAxis: count(),
  });
}

function heading(title: string): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({ markdown: `## ${title}`, width: FULL_WIDTH, height: 1 });
}

function seconds(): cloudwatch.YAxisProps {
  return { min: 0, label: 'seconds', showUnits: false };
}

function count(): cloudwatch.YAxisProps {
  return { min: 0, showUnits: false };
}

function minutes(d: Duration): number {
  return d.toMinutes({ integral: false });
}
