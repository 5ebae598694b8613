import { Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { environmentPart, type WorkflowEnvironmentValues, workflowEnvironment } from '../function-environment.js';
import type { LambdaFunction } from '../lambda-function.js';
import { databaseFunction } from '../promotion-parts.js';
import { reportEnvironment } from '../workflow-parts/report.js';
import { workflowFunctions } from '../workflow-parts.js';
import type { RewindWorkflowProps } from './props.js';

/** Dry-run estimates (README, bench/rewind.bench.ts): RDS reboot and promotion times are AWS's, not ours. */
const REBOOT_ESTIMATE_SECONDS = 180;
const PROMOTE_ESTIMATE_SECONDS = 300;
/** Replay speed assumed for the estimate; bench/rewind.bench.ts measures it on this machine. */
const REPLAY_BYTES_PER_SECOND = 20 * 1024 * 1024;

/** Set on the control function by RewindCutover, which owns the approval. */
type ApprovalSettings = 'APPROVAL_REQUIRED' | 'STS_HOST' | 'ACCOUNT';

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
    environment: environmentPart('rewind-control', {
      REPLICA_INSTANCE_ID: replica.instanceIdentifier,
      REPLICA_PARAMETER_GROUP: replica.parameterGroupName,
      BACKUP_RETENTION_DAYS: props.backupRetention.toDays(),
      REBOOT_TIMEOUT_SECONDS: props.promoteTimeout.toSeconds(),
      REPLAY_TIMEOUT_SECONDS: props.replayTimeout.toSeconds(),
      PROMOTE_TIMEOUT_SECONDS: props.promoteTimeout.toSeconds(),
      PRODUCTION_INSTANCE_ID: props.database.instanceIdentifier,
    } satisfies Omit<WorkflowEnvironmentValues<'rewind-control'>, ApprovalSettings>),
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
      environment: workflowEnvironment('rewind-replay', {
        REPLICA_HOST: replica.instance.dbInstanceEndpointAddress,
        REPLICA_PORT: Token.asNumber(replica.instance.dbInstanceEndpointPort),
        DATABASE_NAME: props.databaseName,
        REPLAY_CONTROL_USER: props.replayControlRole,
        VERIFIER_USER: props.verifierRole,
        TABLES: props.tables,
        CONCURRENCY: props.concurrency,
        MARGIN_SECONDS: props.margin.toSeconds(),
        REPLAY_BYTES_PER_SECOND,
        REBOOT_ESTIMATE_SECONDS,
        PROMOTE_ESTIMATE_SECONDS,
      }),
    },
  );
  const report = fn('rewind-report', 'rewind report (S3, metrics, SNS)', {
    environment: workflowEnvironment('rewind-report', {
      ...reportEnvironment(props),
      MARGIN_SECONDS: props.margin.toSeconds(),
      PRODUCTION_INSTANCE_ID: props.database.instanceIdentifier,
    }),
  });
  return { functions: { control, replay: replay.function, report }, replaySecurityGroup: replay.securityGroup };
}
