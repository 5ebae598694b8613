// The restore, failover and DR-region drill steps parse the state pieces they read (contract/): a drifted piece
// fails naming the field, before any AWS call.
import { describe, expect, it } from 'vitest';
import { reportDrRegionDrill } from '../../../lambda/dr-drill-report/report.js';
import { control } from '../../../lambda/failover-control/control.js';
import { reportRestore } from '../../../lambda/restore-report/report.js';
import { startRestore } from '../../../lambda/restore-start/start.js';

const never = () => {
  throw new Error('not reached');
};
const at = '2026-11-25T01:00:00.000Z';
const reportConfig = { environment: 'dev', bucket: 'b', topicArn: 't', rtoTargetSeconds: 900, rpoTargetSeconds: 300 };
const reportDeps = {
  s3: never as never,
  sns: never as never,
  metrics: { addMetric: never, publishStoredMetrics: never },
  now: () => new Date(at),
};

const restorePlan = {
  environment: 'dev',
  mode: 'point-in-time',
  sourceInstanceId: 'authdb-dev',
  targetInstanceId: 'authdb-dev-restored-1',
  instanceClass: 'db.t4g.medium',
  useLatestRestorableTime: true,
  source: null,
  settings: {
    instanceClass: 'db.t4g.medium',
    multiAz: false,
    subnetGroupName: 'sg',
    securityGroupIds: ['sg-1'],
    parameterGroupName: 'pg',
    backupRetentionDays: 7,
    iamAuth: true,
    logExports: ['postgresql'],
  },
  cutover: false,
  preRestoreInstanceId: 'authdb-dev-pre-restore-202611250100',
  executionArn: 'arn:aws:states:ap-northeast-2:111111111111:execution:authdb-dr-dev-restore:e1',
  executionName: 'e1',
  startedAt: at,
};

describe('restore, failover and DR-region drill state, parsed at each step', () => {
  it('the restore start refuses a plan whose settings lost a field', async () => {
    const { subnetGroupName: _gone, ...settings } = restorePlan.settings;
    await expect(
      startRestore({ plan: { ...restorePlan, settings } }, { rds: never as never, now: () => new Date(at) }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/^Invalid restore start event: plan\.settings\.subnetGroupName = missing/),
    });
  });

  it('the restore report refuses a cutover step without its time', async () => {
    const state = {
      plan: restorePlan,
      renameSource: { action: 'rename', from: 'a', to: 'b', alreadyDone: false },
      error: { Error: 'X', Cause: 'y' },
    };
    await expect(
      reportRestore(state, { ...reportConfig, rtoTargetSeconds: 900 }, reportDeps as never),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/renameSource\.at = missing/),
    });
  });

  it('the failover status step refuses a plan whose standby port is text', async () => {
    const plan = {
      mode: 'promote',
      dryRun: false,
      primaryInstanceId: 'authdb-dev',
      writerInstanceId: 'authdb-dev-standby',
      failureTime: at,
      recoveryPoint: null,
      source: 'authdb-dev-standby',
      useLatestRestorableTime: false,
      instanceClass: null,
      standbyEndpoint: { host: 'standby.example', port: '5432' },
      maxWaitSeconds: 1800,
      plannedAt: at,
    };
    await expect(
      control({ action: 'status', plan, since: at }, {} as never, { now: () => new Date(at) } as never),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/plan\.standbyEndpoint\.port = "5432"/),
    });
  });

  it('the DR-region drill report refuses a plan without the primary check', async () => {
    const state = {
      plan: {
        environment: 'dev',
        mode: 'point-in-time',
        sourceInstanceId: 'authdb-dev',
        scratchInstanceId: 'drill-202611250101-abcdef12',
        executionArn: 'arn:aws:states:ap-southeast-1:111111111111:execution:authdb-dr-dev-dr-region-drill:e1',
        executionName: 'e1',
        startedAt: at,
        rpo: { latestRestorableTime: at, lagSeconds: 0, measuredAt: at },
        region: 'ap-southeast-1',
        automatedBackupsArn: 'arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-1',
      },
    };
    await expect(reportDrRegionDrill(state, reportConfig, reportDeps as never)).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringMatching(/plan\.primary\.reachable = missing|plan\.primary = missing/),
    });
  });
});
