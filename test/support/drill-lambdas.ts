import { type DBInstance, DBInstanceNotFoundFault, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE } from '../../lambda/shared/tags.js';

/** What the tests of the drill Lambdas share: one drill execution, its source and scratch instance, mocked RDS. */
export const rdsMock = mockClient(RDSClient);
export const sfnMock = mockClient(SFNClient);

export const SOURCE = 'authdb-dev';
export const MACHINE_ARN = 'arn:aws:states:ap-northeast-2:111111111111:stateMachine:authdb-dr-dev-drill';
export const EXECUTION_NAME = 'weekly-2026-11-25';
export const EXECUTION_ARN = `arn:aws:states:ap-northeast-2:111111111111:execution:authdb-dr-dev-drill:${EXECUTION_NAME}`;
export const STARTED_AT = '2026-11-25T01:00:00.000Z';
/** scratchInstanceId(STARTED_AT, EXECUTION_NAME): the start minute in UTC and sha256(EXECUTION_NAME)[0..8]. */
export const SCRATCH = 'drill-202611250100-10e20335';
/** The fixed clock of every test: two minutes after the execution started. */
export const NOW = new Date('2026-11-25T01:02:00.000Z');
export const now = () => NOW;

export const rds = new RDSClient({ region: 'ap-northeast-2' });
export const sfn = new SFNClient({ region: 'ap-northeast-2' });

export function tags(values: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(values).map(([Key, Value]) => ({ Key, Value }));
}

/** DescribeDBInstances over `instances`: by identifier (or DBInstanceNotFoundFault), or all of them (listing). */
export function givenInstances(...instances: DBInstance[]): void {
  rdsMock.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    if (input.DBInstanceIdentifier === undefined) return { DBInstances: instances };
    const found = instances.find((i) => i.DBInstanceIdentifier === input.DBInstanceIdentifier);
    if (!found) {
      throw new DBInstanceNotFoundFault({
        message: `DBInstance ${input.DBInstanceIdentifier} not found.`,
        $metadata: {},
      });
    }
    return { DBInstances: [found] };
  });
}

export function sourceInstance(extra: Partial<DBInstance> = {}): DBInstance {
  return {
    DBInstanceIdentifier: SOURCE,
    DBInstanceStatus: 'available',
    Endpoint: { Address: 'authdb-dev.abcdefghijkl.ap-northeast-2.rds.amazonaws.com', Port: 5432 },
    LatestRestorableTime: new Date('2026-11-25T00:57:30.000Z'),
    ...extra,
  };
}

export function scratchInstance(
  id: string,
  tagValues: Record<string, string>,
  extra: Partial<DBInstance> = {},
): DBInstance {
  return { DBInstanceIdentifier: id, DBInstanceStatus: 'available', TagList: tags(tagValues), ...extra };
}

export const ourTags = { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_EXECUTION]: EXECUTION_ARN };

/** An AWS SDK-like error: what the code matches on is its name. */
export function error(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}
