import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { workflowEnvironment } from '../function-environment.js';
import type { LambdaFunction } from '../lambda-function.js';
import { reportEnvironment } from '../workflow-parts/report.js';
import type { ScratchPlacement } from '../workflow-parts/scratch-lifecycle.js';
import { type ScratchDeleters, scratchDeleters, scratchRestoreFunction } from '../workflow-parts/scratch-lifecycle.js';
import { type VerifierSettings, verifierEnvironment, verifierTimeout } from '../workflow-parts/verifier.js';
import { workflowFunctions } from '../workflow-parts.js';
import type { DrRegionDrillProps } from './props.js';

/** A connection to the primary from the DR VPC that takes longer than this counts as "primary unreachable". */
const PRIMARY_CONNECT_TIMEOUT = Duration.seconds(10);

export type DrRegionDrillFunctions = Record<
  'preflight' | 'verifier' | 'restore' | 'status' | 'report' | 'age',
  LambdaFunction
> &
  Omit<ScratchDeleters, 'deadLetters'>;

/**
 * The DR-region drill's functions (construct ids from the folder names: DrDrillPreflight, …; part of the logical
 * ids, never rename them) and the dead-letter queue of the ones EventBridge invokes.
 */
export function drRegionDrillFunctions(
  scope: Construct,
  props: DrRegionDrillProps,
  placement: ScratchPlacement,
  stateMachineArn: string,
): { functions: DrRegionDrillFunctions; deleters: ScratchDeleters } {
  const { config } = props;
  const drill = config.drill;
  const fn = workflowFunctions(scope, {
    environment: config.name,
    key: props.key,
    logRetention: config.logRetentionDays,
  });
  const preflight = fn('dr-drill-preflight', 'DR-region drill preflight (replicated backups, primary reachable?)', {
    environment: workflowEnvironment('dr-drill-preflight', {
      PRIMARY_REGION: config.primaryRegion,
      PRIMARY_INSTANCE_ID: props.primaryInstanceId,
      PRIMARY_CHECK_TIMEOUT_MS: config.drRegionDrill.primaryCheckTimeoutSeconds * 1000,
    }),
  });
  const verifier: VerifierSettings = {
    databaseName: config.database.databaseName,
    verifierUser: drill.verifierRole,
    tables: drill.tables,
    settle: Duration.minutes(drill.settleMinutes),
    concurrency: drill.concurrency,
    statementTimeout: Duration.seconds(drill.statementTimeoutSeconds),
  };
  const verifierFunction = fn('dr-drill-verifier', 'DR-region drill verifier (row counts, read-only, TLS, IAM auth)', {
    vpc: props.vpc,
    vpcSubnets: props.subnets,
    securityGroups: [props.lambdaSecurityGroup],
    timeout: verifierTimeout(verifier),
    environment: workflowEnvironment('dr-drill-verifier', {
      ...verifierEnvironment(verifier),
      CONNECT_TIMEOUT_MS: PRIMARY_CONNECT_TIMEOUT.toMilliseconds(),
    }),
  });
  const restore = scratchRestoreFunction(
    fn,
    'dr-drill-restore',
    'DR-region drill restore from the replicated backups',
    drill.instanceClass,
    placement,
  );
  const status = fn('instance-status', 'one look at an instance status');
  const report = fn('dr-drill-report', 'DR-region drill report (S3, metrics, SNS)', {
    environment: workflowEnvironment('dr-drill-report', {
      ...reportEnvironment({ ...props, rtoTarget: Duration.minutes(config.targets.rtoMinutes) }),
      RPO_TARGET_SECONDS: Duration.minutes(config.targets.rpoMinutes).toSeconds(),
    }),
  });
  const deleters = scratchDeleters(scope, fn, {
    drill: 'DR-region drill',
    key: props.key,
    deadLettersId: 'DeadLetters',
    sweeperMaxAgeHours: drill.sweeperMaxAgeHours,
  });
  const age = fn('dr-drill-age', 'age of the last successful DR-region drill (metric)', {
    invokedBy: 'eventbridge',
    deadLetterQueue: deleters.deadLetters,
    environment: workflowEnvironment('dr-drill-age', { STATE_MACHINE_ARN: stateMachineArn }),
  });
  const { cleanup, sweeper } = deleters;
  return {
    functions: { preflight, verifier: verifierFunction, restore, status, report, cleanup, sweeper, age },
    deleters,
  };
}
