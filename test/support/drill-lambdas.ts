import { type DBInstance, DBInstanceNotFoundFault, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import type { DrillPlan, DrillState } from '../../lambda/shared/drill.js';
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

/** Forgets every answer and call of the mocked RDS and Step Functions: `beforeEach(resetDrillMocks)`. */
export function resetDrillMocks(): void {
  rdsMock.reset();
  sfnMock.reset();
}

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

/** The plan of a point-in-time drill of SOURCE, as preflight made it. */
export const plan: DrillPlan = {
  environment: 'dev',
  mode: 'point-in-time',
  sourceInstanceId: SOURCE,
  source: { host: 'authdb-dev.example', port: 5432 },
  scratchInstanceId: SCRATCH,
  executionArn: EXECUTION_ARN,
  executionName: EXECUTION_NAME,
  startedAt: STARTED_AT,
  rpo: { latestRestorableTime: '2026-11-25T00:56:00.000Z', lagSeconds: 240, measuredAt: '2026-11-25T01:00:00.000Z' },
};
export const tableVerdict = (table: string, difference: number) => ({
  table,
  source: { total: 100, settled: 98 },
  restored: { total: 100 + difference, settled: 98 + difference, newest: '2026-11-25T01:01:05.000Z' },
  compared: 'settled' as const,
  tolerance: 0,
  difference,
  totalDifference: difference,
  withinTolerance: difference === 0,
});

/** A point-in-time drill: requested 01:02, available 01:12 (600 s), verified 01:17 (300 s), 900 s in all. */
export function succeeded(verifiedAt = '2026-11-25T01:17:00.000Z'): DrillState {
  return {
    plan,
    sourceCounts: { countedAt: '2026-11-25T01:01:10.000Z', settleCutoff: '2026-11-25T00:56:10.000Z', tables: {} },
    restore: {
      instanceId: SCRATCH,
      requestedAt: '2026-11-25T01:02:00.000Z',
      restoreTime: '2026-11-25T01:01:10.000Z',
      alreadyRequested: false,
    },
    scratch: {
      instanceId: SCRATCH,
      status: 'available',
      available: true,
      settled: true,
      failed: false,
      timedOut: false,
      checkedAt: '2026-11-25T01:12:00.000Z',
      endpoint: { host: `${SCRATCH}.example`, port: 5432 },
    },
    verification: {
      compared: true,
      ok: true,
      complete: true,
      summary: '3 tables match the source as of 2026-11-25T01:01:10.000Z',
      verifiedAt,
      verification: {
        ok: true,
        countedAt: '2026-11-25T01:01:10.000Z',
        settleCutoff: '2026-11-25T00:56:10.000Z',
        freshnessSeconds: 5,
        tables: [tableVerdict('users', 0), tableVerdict('platform_accounts', 0), tableVerdict('audit_logs', 0)],
        missingTables: [],
      },
    },
    cleanup: { instanceId: SCRATCH, action: 'deleted', at: '2026-11-25T01:18:00.000Z' },
  };
}
