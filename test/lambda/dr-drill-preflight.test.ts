import {
  type DBInstance,
  type DBInstanceAutomatedBackup,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
} from '@aws-sdk/client-rds';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backupStatus } from '../../lambda/dr-drill-preflight/backup-status.js';
import { type DrPreflightConfig, drPreflight } from '../../lambda/dr-drill-preflight/preflight.js';
import { PURPOSE_DRILL, TAG_EXECUTION, TAG_PURPOSE } from '../../lambda/shared/tags.js';
import {
  EXECUTION_ARN,
  EXECUTION_NAME,
  givenInstances,
  MACHINE_ARN,
  NOW,
  now,
  rds,
  rdsMock,
  resetDrillMocks,
  SCRATCH,
  SOURCE,
  STARTED_AT,
  scratchInstance,
  sfn,
  sfnMock,
  sourceInstance,
} from '../support/drill-lambdas.js';

const BACKUPS = 'arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-newest';
const config: DrPreflightConfig = {
  environment: 'dev',
  region: 'ap-southeast-1',
  primaryRegion: 'ap-northeast-2',
  primaryInstanceId: SOURCE,
  primaryCheckTimeoutMs: 50,
};
const event = (input: unknown = {}) => ({
  input,
  execution: { Id: EXECUTION_ARN, Name: EXECUTION_NAME, StartTime: STARTED_AT },
});
const backup = (arn: string, status: string, latest?: string): DBInstanceAutomatedBackup => ({
  DBInstanceAutomatedBackupsArn: arn,
  Status: status,
  ...(latest
    ? { RestoreWindow: { EarliestTime: new Date('2026-11-18T00:00:00Z'), LatestTime: new Date(latest) } }
    : {}),
});

beforeEach(() => {
  resetDrillMocks();
  sfnMock.on(ListExecutionsCommand).resolves({
    executions: [
      {
        executionArn: EXECUTION_ARN,
        name: EXECUTION_NAME,
        status: 'RUNNING',
        stateMachineArn: MACHINE_ARN,
        startDate: new Date(STARTED_AT),
      },
    ],
  });
  givenInstances();
  rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
    DBInstanceAutomatedBackups: [
      backup('arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-older', 'retained', '2026-11-20T00:00:00Z'),
      backup(BACKUPS, 'replicating', '2026-11-25T00:55:00.000Z'),
      backup('arn:aws:rds:ap-southeast-1:111111111111:auto-backup:ab-pending', 'pending', '2026-11-25T01:01:00Z'),
    ],
  });
});

const deps = (describePrimary: (id: string) => Promise<DBInstance | undefined> = async () => sourceInstance()) => ({
  rds,
  sfn,
  describePrimary,
  now,
});

describe('drPreflight', () => {
  it('plans a restore of the newest usable replicated backups, with the primary to be counted', async () => {
    const describePrimary = vi.fn(async () => sourceInstance());
    expect(await drPreflight(event(), config, deps(describePrimary))).toEqual({
      environment: 'dev',
      mode: 'point-in-time',
      region: 'ap-southeast-1',
      sourceInstanceId: SOURCE,
      automatedBackupsArn: BACKUPS,
      scratchInstanceId: SCRATCH,
      executionArn: EXECUTION_ARN,
      executionName: EXECUTION_NAME,
      startedAt: STARTED_AT,
      rpo: { latestRestorableTime: '2026-11-25T00:55:00.000Z', lagSeconds: 420, measuredAt: NOW.toISOString() },
      primary: { reachable: true, region: 'ap-northeast-2', checkedAt: NOW.toISOString() },
      source: { host: 'authdb-dev.abcdefghijkl.ap-northeast-2.rds.amazonaws.com', port: 5432 },
    });
    expect(describePrimary).toHaveBeenCalledWith(SOURCE);
    expect(rdsMock.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: SOURCE,
    });
  });

  it('goes on with totals only, saying why, when the primary region does not answer in time', async () => {
    const plan = await drPreflight(event(), config, deps(vi.fn(() => new Promise<never>(() => {}))));
    expect(plan.source).toBeUndefined();
    expect(plan.primary).toEqual({
      reachable: false,
      region: 'ap-northeast-2',
      checkedAt: NOW.toISOString(),
      reason: `Primary region unreachable: DescribeDBInstances of ${SOURCE} in ap-northeast-2 did not answer within 0.05 s`,
    });
  });

  it('goes on with totals only when the primary region refuses, the primary is gone or not available', async () => {
    const refused = await drPreflight(
      event(),
      config,
      deps(vi.fn(() => Promise.reject(new Error('getaddrinfo ENOTFOUND')))),
    );
    expect(refused.primary.reason).toBe('Primary region unreachable: getaddrinfo ENOTFOUND');
    const gone = await drPreflight(event(), config, deps(vi.fn(async () => undefined)));
    expect(gone.primary.reason).toBe(`Primary instance ${SOURCE} does not exist in ap-northeast-2`);
    const stopped = await drPreflight(
      event(),
      config,
      deps(vi.fn(async () => sourceInstance({ DBInstanceStatus: 'stopped' }))),
    );
    expect(stopped.primary.reason).toBe(`Primary instance ${SOURCE} is stopped, not available`);
    for (const plan of [refused, gone, stopped]) {
      expect(plan.primary.reachable).toBe(false);
      expect(plan.source).toBeUndefined();
    }
  });

  it('fails with SourceNotAvailable, listing what it saw, when no replicated backup is usable', async () => {
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [backup(BACKUPS, 'pending', '2026-11-25T00:55:00Z'), backup(BACKUPS, 'active')],
    });
    await expect(drPreflight(event(), config, deps())).rejects.toMatchObject({
      name: 'SourceNotAvailable',
      message:
        `No restorable replicated automated backups of ${SOURCE} in this region (found: pending, active); ` +
        'allowed: backups in status replicating, active, retained with a restore window ' +
        '(is automated backup replication to this region on?)',
    });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({});
    await expect(drPreflight(event(), config, deps())).rejects.toMatchObject({
      message: expect.stringContaining('(found: none)'),
    });
  });

  it('refuses to start beside another running execution or a scratch instance of another drill', async () => {
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXECUTION_ARN,
          name: EXECUTION_NAME,
          status: 'RUNNING',
          stateMachineArn: MACHINE_ARN,
          startDate: new Date(STARTED_AT),
        },
        {
          executionArn: `${EXECUTION_ARN}-b`,
          name: 'manual-b',
          status: 'RUNNING',
          stateMachineArn: MACHINE_ARN,
          startDate: new Date(STARTED_AT),
        },
      ],
    });
    await expect(drPreflight(event(), config, deps())).rejects.toMatchObject({
      name: 'DrillAlreadyRunning',
      message: 'Another drill is running (manual-b); allowed: one drill at a time',
    });
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
    givenInstances(
      scratchInstance('drill-202611180100-0badcafe', { [TAG_PURPOSE]: PURPOSE_DRILL, [TAG_EXECUTION]: 'x' }),
    );
    await expect(drPreflight(event(), config, deps())).rejects.toMatchObject({ name: 'DrillAlreadyRunning' });
    expect(rdsMock.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)).toHaveLength(0);
  });

  it('refuses any input field (the drill decides from its configuration), looking at nothing', async () => {
    await expect(drPreflight(event({ mode: 'snapshot' }), config, deps())).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'Invalid DR-region drill input: mode: unknown field(s); allowed: only the documented fields',
    });
    await expect(drPreflight({ input: {} }, config, deps())).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Invalid preflight event: execution = missing'),
    });
    expect(rdsMock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('backupStatus', () => {
  const look = (extra: Record<string, unknown> = {}, clock = now) =>
    backupStatus(
      {
        action: 'backup-status',
        automatedBackupsArn: BACKUPS,
        restoreTime: '2026-11-25T00:55:00.000Z',
        since: '2026-11-25T01:00:00.000Z',
        maxWaitSeconds: 600,
        ...extra,
      },
      { rds, now: clock },
    );

  it('says whether the replicated backups reached the restore time, looking them up by ARN', async () => {
    expect(await look()).toEqual({
      latestRestorableTime: '2026-11-25T00:55:00.000Z',
      restorable: true,
      timedOut: false,
      checkedAt: NOW.toISOString(),
    });
    expect(rdsMock.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]!.args[0].input).toEqual({
      DBInstanceAutomatedBackupsArn: BACKUPS,
    });
    expect((await look({ restoreTime: '2026-11-25T00:55:00.001Z' })).restorable).toBe(false);
  });

  it('times out only after more than maxWaitSeconds since the wait began', async () => {
    const at = (s: number) => () => new Date(Date.parse('2026-11-25T01:00:00.000Z') + s * 1000);
    expect((await look({}, at(600))).timedOut).toBe(false);
    expect((await look({}, at(601))).timedOut).toBe(true);
  });

  it('fails with SourceNotAvailable naming the ARN when the backups are gone', async () => {
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
    await expect(look()).rejects.toMatchObject({
      name: 'SourceNotAvailable',
      message: expect.stringContaining(`No restorable replicated automated backups ${BACKUPS} in this region`),
    });
  });

  it('refuses a zone-less restore time or a non-positive wait, before asking RDS', async () => {
    await expect(look({ restoreTime: '2026-11-25T00:55:00' })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('restoreTime = "2026-11-25T00:55:00"'),
    });
    await expect(look({ maxWaitSeconds: 0 })).rejects.toMatchObject({
      message: expect.stringContaining('maxWaitSeconds = 0'),
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('dr-drill-preflight handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  function stubEnv(): void {
    vi.stubEnv('ENVIRONMENT', 'dev');
    vi.stubEnv('AWS_REGION', 'ap-southeast-1');
    vi.stubEnv('PRIMARY_REGION', 'ap-northeast-2');
    vi.stubEnv('PRIMARY_INSTANCE_ID', SOURCE);
    vi.stubEnv('PRIMARY_CHECK_TIMEOUT_MS', '5000');
  }

  it('routes an event with an action to the backup status, any other to the preflight', async () => {
    stubEnv();
    const { handler } = await import('../../lambda/dr-drill-preflight/handler.js');
    await expect(
      handler({
        action: 'backup-status',
        automatedBackupsArn: BACKUPS,
        restoreTime: '2026-11-25T00:55:00.000Z',
        since: new Date().toISOString(),
        maxWaitSeconds: 600,
      }),
    ).resolves.toMatchObject({ restorable: true, timedOut: false });
    // Both the DR-region client and the primary's are RDS clients: the mock answers the primary's look too.
    rdsMock.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => ({
      DBInstances: input.DBInstanceIdentifier ? [sourceInstance()] : [],
    }));
    await expect(handler(event())).resolves.toMatchObject({
      automatedBackupsArn: BACKUPS,
      primary: { reachable: true },
    });
  });

  it('fails at load naming a malformed timeout', async () => {
    stubEnv();
    vi.stubEnv('PRIMARY_CHECK_TIMEOUT_MS', '5s');
    await expect(import('../../lambda/dr-drill-preflight/handler.js')).rejects.toThrow(
      'Environment variable PRIMARY_CHECK_TIMEOUT_MS must be a whole number, got "5s"',
    );
  });
});
