import type { DBInstance } from '@aws-sdk/client-rds';
import type { RestorePlan } from '../../lambda/shared/restore.js';
import { PURPOSE_RESTORED, TAG_EXECUTION, TAG_PURPOSE, TAG_REQUESTED_AT } from '../../lambda/shared/tags.js';

/** What the tests of the restore Lambdas share: one restore execution of authdb-dev and the plan validation made. */
export const SOURCE = 'authdb-dev';
export const TARGET = 'authdb-dev-restored-1';
export const ASIDE = 'authdb-dev-pre-restore-202611260540';
export const EXECUTION_ARN = 'arn:aws:states:ap-northeast-2:111111111111:execution:authdb-dr-dev-restore:incident-1';
export const STARTED_AT = '2026-11-26T05:40:00.000Z';
export const NOW = new Date('2026-11-26T05:41:00.000Z');
export const now = () => NOW;

export function restorePlan(extra: Partial<RestorePlan> = {}): RestorePlan {
  return {
    environment: 'dev',
    mode: 'point-in-time',
    sourceInstanceId: SOURCE,
    targetInstanceId: TARGET,
    instanceClass: 'db.t4g.medium',
    restoreTime: '2026-11-26T05:30:00.000Z',
    useLatestRestorableTime: false,
    source: { host: 'authdb-dev.example', port: 5432 },
    settings: {
      instanceClass: 'db.t4g.medium',
      multiAz: false,
      subnetGroupName: 'authdb-dev-subnets',
      securityGroupIds: ['sg-0db'],
      parameterGroupName: 'authdb-dev-params',
      backupRetentionDays: 7,
      iamAuth: true,
      logExports: ['postgresql'],
      masterSecretKmsKeyId: 'arn:aws:kms:ap-northeast-2:111111111111:key/source-key',
    },
    cutover: false,
    preRestoreInstanceId: ASIDE,
    executionArn: EXECUTION_ARN,
    executionName: 'incident-1',
    startedAt: STARTED_AT,
    ...extra,
  };
}

/** The restored instance as RDS describes it, tagged by `executionArn` (this execution unless told). */
export function restoredInstance(
  extra: Partial<DBInstance> = {},
  tagValues: Record<string, string> = {
    [TAG_PURPOSE]: PURPOSE_RESTORED,
    [TAG_EXECUTION]: EXECUTION_ARN,
    [TAG_REQUESTED_AT]: '2026-11-26T05:40:30.000Z',
  },
): DBInstance {
  return {
    DBInstanceIdentifier: TARGET,
    DBInstanceArn: `arn:aws:rds:ap-northeast-2:111111111111:db:${TARGET}`,
    DBInstanceStatus: 'creating',
    TagList: Object.entries(tagValues).map(([Key, Value]) => ({ Key, Value })),
    ...extra,
  };
}

/** An AWS SDK-like error: what the code matches on is its name. */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}
