import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { drillEnding, restorablePoll, scratchStates } from '../workflow-parts/drill-states.js';
import { invoke, planningTask, workflowStateMachine } from '../workflow-parts.js';
import type { DrRegionDrillFunctions } from './functions.js';
import type { DrRegionDrillProps } from './props.js';

/** Seconds between two looks at the replicated backups' restore window. */
const BACKUP_POLL = Duration.seconds(60);

/**
 * Preflight; when the primary answers, count it at C and wait until the replicated backups reach C; restore into a
 * scratch instance, wait for it, verify it; then the drill ending (cleanup, report, outcome) on every path.
 */
export function drRegionDrillStateMachine(
  scope: Construct,
  props: DrRegionDrillProps,
  f: DrRegionDrillFunctions,
  name: string,
): sfn.StateMachine {
  const { config } = props;
  const maxWait = Duration.minutes(config.drill.maxWaitMinutes);
  const backupWait = Duration.minutes(config.drRegionDrill.backupWaitMinutes);
  const ending = drillEnding(scope, f);

  const waitForScratch = scratchStates(scope, ending, {
    status: f.status,
    verifier: f.verifier,
    verifyPayload: undefined,
    maxWait,
    poll: Duration.seconds(config.drill.pollSeconds),
  });
  const requestRestore = ending.catchAll(invoke(scope, 'RequestRestore', f.restore, undefined, '$.restore'));
  requestRestore.next(waitForScratch);

  // C is restorable in this region once the replicated backups' restore window reaches it.
  const checkBackups = invoke(
    scope,
    'CheckBackupsRestorable',
    f.preflight,
    {
      action: 'backup-status',
      'automatedBackupsArn.$': '$.plan.automatedBackupsArn',
      'restoreTime.$': '$.sourceCounts.countedAt',
      'since.$': '$.sourceCounts.countedAt',
      maxWaitSeconds: backupWait.toSeconds(),
    },
    '$.backupStatus',
  );
  restorablePoll(scope, ending, {
    waitId: 'WaitForReplicatedLogs',
    choiceId: 'BackupsRestorable?',
    interval: BACKUP_POLL,
    check: checkBackups,
    resultPath: '$.backupStatus',
    next: requestRestore,
    notRestorableId: 'BackupsNotRestorable',
    cause: `States.Format('The replicated backups of {} did not reach {} within ${backupWait.toMinutes()} minutes', $.plan.sourceInstanceId, $.sourceCounts.countedAt)`,
  });

  // The primary answered: count it at C (exact comparison). When it cannot be counted, go on with totals: the
  // state then has no `sourceCounts`, which is why the restore and the verifier get the whole state.
  const totalsOnly = new sfn.Pass(scope, 'TotalsOnly', { comment: 'No counts of the primary: report totals only.' });
  totalsOnly.next(requestRestore);
  const countSource = invoke(
    scope,
    'CountPrimary',
    f.verifier,
    { action: 'count-source', 'plan.$': '$.plan' },
    '$.sourceCounts',
  );
  countSource.addCatch(totalsOnly, { resultPath: '$.primaryError' });
  countSource.next(checkBackups);

  const preflight = planningTask(
    scope,
    'Preflight',
    f.preflight,
    'PreflightFailed',
    'Finds the replicated backups and asks whether the primary region answers; creates nothing.',
  );
  preflight.next(
    new sfn.Choice(scope, 'PrimaryReachable?')
      .when(sfn.Condition.booleanEquals('$.plan.primary.reachable', true), countSource)
      .otherwise(totalsOnly),
  );

  return workflowStateMachine(scope, {
    environment: config.name,
    key: props.key,
    logRetention: config.logRetentionDays,
    name,
    comment: `authdb-dr ${config.name}: DR-region drill (restore the replicated backups, verify, report, clean up)`,
    start: preflight,
    timeout: maxWait.plus(backupWait).plus(Duration.minutes(45)),
    invokes: [f.preflight, f.verifier, f.restore, f.status, f.report, f.cleanup],
  });
}
