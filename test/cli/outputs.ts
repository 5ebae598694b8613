import type { DrillState } from '../../lambda/shared/drill.js';
import type { RestoreState } from '../../lambda/shared/restore.js';

/*
 * Execution outputs as the workflows produce them: the state the states pass along (typed by the Lambdas' own
 * state types, so a change there breaks these fixtures at type-check) plus the Report task's result at `$.report`.
 */

const settings = {
  instanceClass: 'db.t4g.medium',
  multiAz: false,
  subnetGroupName: 'authdb-dev-subnets',
  securityGroupIds: ['sg-0123456789abcdef0'],
  parameterGroupName: 'authdb-dev-params',
  backupRetentionDays: 7,
  iamAuth: true,
  logExports: ['postgresql'],
};

export function restoreOutput(opts: {
  name: string;
  account: string;
  region: string;
  startedAt: Date;
  cutover?: boolean;
}) {
  const at = (minutes: number) => new Date(opts.startedAt.getTime() + minutes * 60_000).toISOString();
  const restoreTime = new Date(opts.startedAt.getTime() - 3 * 3600_000).toISOString();
  const state = {
    plan: {
      environment: 'dev',
      mode: 'point-in-time',
      sourceInstanceId: 'authdb-dev',
      targetInstanceId: 'authdb-dev-restored-1',
      instanceClass: 'db.t4g.medium',
      restoreTime,
      useLatestRestorableTime: false,
      source: { host: 'authdb-dev.abc.ap-northeast-2.rds.amazonaws.com', port: 5432 },
      settings,
      cutover: opts.cutover ?? false,
      preRestoreInstanceId: 'authdb-dev-pre-restore-202611300100',
      executionArn: `arn:aws:states:${opts.region}:${opts.account}:execution:authdb-dr-dev-restore:${opts.name}`,
      executionName: opts.name,
      startedAt: opts.startedAt.toISOString(),
    },
    restore: { instanceId: 'authdb-dev-restored-1', requestedAt: at(1), asOf: restoreTime, alreadyRequested: false },
    target: {
      instanceId: 'authdb-dev-restored-1',
      status: 'available',
      available: true,
      settled: true,
      failed: false,
      timedOut: false,
      checkedAt: at(9),
      endpoint: { host: 'authdb-dev-restored-1.abc.ap-northeast-2.rds.amazonaws.com', port: 5432 },
    },
    settings: { appliedAt: at(10), replication: { started: true, detail: 'replicating to ap-northeast-1' } },
    verification: {
      ok: true,
      complete: true,
      summary: '3 tables verified against the source at the recovery point',
      verifiedAt: at(12),
      compared: true as const,
      verification: {
        ok: true,
        countedAt: restoreTime,
        settleCutoff: restoreTime,
        freshnessSeconds: 4,
        missingTables: [],
        tables: [
          {
            table: 'users',
            source: { total: 1200, settled: 1180 },
            restored: { total: 1204, settled: 1180 },
            compared: 'settled' as const,
            tolerance: 0,
            difference: 0,
            totalDifference: 4,
            withinTolerance: true,
          },
          {
            table: 'audit_logs',
            source: { total: 98000, settled: 97990 },
            restored: { total: 98010, settled: 97990 },
            compared: 'settled' as const,
            tolerance: 0,
            difference: 0,
            totalDifference: 10,
            withinTolerance: true,
          },
        ],
      },
    },
    ...(opts.cutover
      ? {
          renameSource: {
            action: 'rename',
            from: 'authdb-dev',
            to: 'authdb-dev-pre-restore-202611300100',
            at: at(13),
            alreadyDone: false,
          },
          renameTarget: {
            action: 'rename',
            from: 'authdb-dev-restored-1',
            to: 'authdb-dev',
            at: at(15),
            alreadyDone: false,
          },
        }
      : {}),
  } satisfies RestoreState;
  return {
    ...state,
    report: {
      reportKey: `restores/dev/${opts.startedAt.toISOString().slice(0, 7).replace('-', '/')}/${opts.name}.json`,
      outcome: 'succeeded',
    },
  };
}

export function drillOutput(opts: { name: string; account: string; region: string; startedAt: Date }) {
  const at = (minutes: number) => new Date(opts.startedAt.getTime() + minutes * 60_000).toISOString();
  const state = {
    plan: {
      environment: 'dev',
      mode: 'point-in-time',
      sourceInstanceId: 'authdb-dev',
      source: { host: 'authdb-dev.abc.ap-northeast-2.rds.amazonaws.com', port: 5432 },
      scratchInstanceId: 'drill-202611300000-1a2b3c4d',
      executionArn: `arn:aws:states:${opts.region}:${opts.account}:execution:authdb-dr-dev-drill:${opts.name}`,
      executionName: opts.name,
      startedAt: opts.startedAt.toISOString(),
      rpo: { latestRestorableTime: at(-4), lagSeconds: 240, measuredAt: at(0) },
    },
    restore: {
      instanceId: 'drill-202611300000-1a2b3c4d',
      requestedAt: at(1),
      restoreTime: at(0),
      alreadyRequested: false,
    },
    scratch: {
      instanceId: 'drill-202611300000-1a2b3c4d',
      status: 'available',
      available: true,
      settled: true,
      failed: false,
      timedOut: false,
      checkedAt: at(15),
    },
    verification: {
      ok: true,
      complete: true,
      summary: '3 tables match',
      verifiedAt: at(17),
      compared: true as const,
      verification: {
        ok: true,
        countedAt: at(0),
        settleCutoff: at(-5),
        freshnessSeconds: 30,
        missingTables: [],
        tables: [],
      },
    },
    cleanup: { instanceId: 'drill-202611300000-1a2b3c4d', action: 'deleted' as const, at: at(18) },
  } satisfies DrillState;
  return { ...state, report: { reportKey: `drills/dev/2026/11/${opts.name}.json`, outcome: 'succeeded' } };
}
