import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { LambdaFunction } from '../lambda-function.js';
import { databaseFunction, reportFunction } from '../promotion-parts.js';
import { workflowFunctions } from '../workflow-parts.js';
import type { RewindWorkflowProps } from './props.js';

/** Dry-run estimates (README, bench/rewind.bench.ts): RDS reboot and promotion times are AWS's, not ours. */
const REBOOT_ESTIMATE_SECONDS = 180;
const PROMOTE_ESTIMATE_SECONDS = 300;
/** Replay speed assumed for the estimate; bench/rewind.bench.ts measures it on this machine. */
const REPLAY_BYTES_PER_SECOND = 20 * 1024 * 1024;

export type RewindFunctions = Record<'control' | 'replay' | 'report', LambdaFunction>;

/**
 * The rewind's functions. Construct ids come from the folder names (RewindControl, RewindReplay, RewindReport) and
 * are part of the logical ids; the replay function's security group is `ReplaySecurityGroup`.
 */
export function rewindFunctions(
  scope: Construct,
  props: RewindWorkflowProps,
): { functions: RewindFunctions; replaySecurityGroup: ec2.SecurityGroup } {
  const replica = props.replica;
  const fn = workflowFunctions(scope, props);
  const control = fn('rewind-control', 'rewind: parameter group, reboot and promotion of the delayed replica', {
    environment: {
      REPLICA_INSTANCE_ID: replica.instanceIdentifier,
      REPLICA_PARAMETER_GROUP: replica.parameterGroupName,
      BACKUP_RETENTION_DAYS: String(props.backupRetention.toDays()),
      REBOOT_TIMEOUT_SECONDS: String(props.promoteTimeout.toSeconds()),
      REPLAY_TIMEOUT_SECONDS: String(props.replayTimeout.toSeconds()),
      PROMOTE_TIMEOUT_SECONDS: String(props.promoteTimeout.toSeconds()),
      PRODUCTION_INSTANCE_ID: props.database.instanceIdentifier,
    },
  });
  const replay = databaseFunction(
    scope,
    fn,
    'rewind-replay',
    'rewind: pause and check replay, verify the promoted replica (TLS, IAM auth)',
    {
      vpc: props.vpc,
      securityGroup: {
        id: 'ReplaySecurityGroup',
        description: 'authdb rewind: PostgreSQL to the delayed replica only',
      },
      database: { owner: replica, securityGroup: replica.securityGroup },
      why: 'rewind (replay-control and verifier roles) to the delayed replica',
      environment: {
        REPLICA_HOST: replica.instance.dbInstanceEndpointAddress,
        REPLICA_PORT: replica.instance.dbInstanceEndpointPort,
        DATABASE_NAME: props.databaseName,
        REPLAY_CONTROL_USER: props.replayControlRole,
        VERIFIER_USER: props.verifierRole,
        TABLES: JSON.stringify(props.tables),
        CONCURRENCY: String(props.concurrency),
        MARGIN_SECONDS: String(props.margin.toSeconds()),
        REPLAY_BYTES_PER_SECOND: String(REPLAY_BYTES_PER_SECOND),
        REBOOT_ESTIMATE_SECONDS: String(REBOOT_ESTIMATE_SECONDS),
        PROMOTE_ESTIMATE_SECONDS: String(PROMOTE_ESTIMATE_SECONDS),
      },
    },
  );
  const report = reportFunction(fn, 'rewind-report', 'rewind report (S3, metrics, SNS)', props, {
    MARGIN_SECONDS: String(props.margin.toSeconds()),
    PRODUCTION_INSTANCE_ID: props.database.instanceIdentifier,
  });
  return { functions: { control, replay: replay.function, report }, replaySecurityGroup: replay.securityGroup };
}
