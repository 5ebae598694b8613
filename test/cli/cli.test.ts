import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CliDeps, run } from '../../cli/main.js';
import { drillInputSchema } from '../../lambda/shared/drill.js';
import { restoreInputSchema } from '../../lambda/shared/restore-input.js';
import { knownEnvironments, loadConfig } from '../../lib/config/load.js';

const sfnMock = mockClient(SFNClient);
const ROOT = path.resolve(__dirname, '..', '..');

const dev = loadConfig('dev');
const prod = loadConfig('prod');
const DRILL_SM = `arn:aws:states:${dev.primaryRegion}:${dev.account}:stateMachine:authdb-dr-dev-drill`;
const RESTORE_SM = `arn:aws:states:${dev.primaryRegion}:${dev.account}:stateMachine:authdb-dr-dev-restore`;
const DRILL_EXEC = `arn:aws:states:${dev.primaryRegion}:${dev.account}:execution:authdb-dr-dev-drill:manual-1`;
const RESTORE_EXEC = `arn:aws:states:${dev.primaryRegion}:${dev.account}:execution:authdb-dr-dev-restore:r-1`;
const START = new Date('2026-11-25T18:00:00Z');

interface Harness {
  deps: CliDeps;
  stdout: () => string;
  stderr: () => string;
  regions: string[];
  sleeps: number[];
  /** The injected clock; sleep advances it. */
  clock: { now: number };
}

function harness(tty = false): Harness {
  let out = '';
  let err = '';
  const regions: string[] = [];
  const sleeps: number[] = [];
  const clock = { now: START.getTime() + 60_000 };
  return {
    deps: {
      sfn: (region) => {
        regions.push(region);
        return new SFNClient({ region, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' } });
      },
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      now: () => new Date(clock.now),
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.now += ms;
      },
      tty,
      environments: knownEnvironments,
      config: (name) => loadConfig(name),
    },
    stdout: () => out,
    stderr: () => err,
    regions,
    sleeps,
    clock,
  };
}

const started = (arn: string) => ({ executionArn: arn, startDate: START });

function startInput(): unknown {
  const calls = sfnMock.commandCalls(StartExecutionCommand);
  expect(calls).toHaveLength(1);
  return JSON.parse(calls[0]!.args[0].input.input!);
}

beforeEach(() => {
  sfnMock.reset();
});

describe('drill start', () => {
  it('starts the environment drill with the validated input and passes the name through', async () => {
    sfnMock.on(StartExecutionCommand).resolves(started(DRILL_EXEC));
    const h = harness();
    const code = await run(
      ['drill', 'start', '--env', 'dev', '--mode', 'latest-snapshot', '--name', 'manual-1'],
      h.deps,
    );
    expect(code).toBe(0);
    const input = sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(input.stateMachineArn).toBe(DRILL_SM);
    expect(input.name).toBe('manual-1');
    expect(startInput()).toEqual(drillInputSchema.parse({ mode: 'latest-snapshot' }));
    expect(h.regions).toEqual([dev.primaryRegion]);
    expect(h.stdout()).toBe(`${DRILL_EXEC}\n`);
  });

  it('sends the schema default ({} -> point-in-time) and infers the snapshot mode from --snapshot', async () => {
    sfnMock.on(StartExecutionCommand).resolves(started(DRILL_EXEC));
    expect(await run(['drill', 'start', '--env', 'dev'], harness().deps)).toBe(0);
    expect(startInput()).toEqual({ mode: 'point-in-time' });
    sfnMock.resetHistory();
    expect(
      await run(['drill', 'start', '--env', 'dev', '--snapshot', 'rds:authdb-dev-2026-11-25'], harness().deps),
    ).toBe(0);
    expect(startInput()).toEqual({ mode: 'snapshot', snapshotIdentifier: 'rds:authdb-dev-2026-11-25' });
  });

  it('--dry-run prints the validated input and the state machine ARN, and calls nothing', async () => {
    const h = harness();
    const arn = `arn:aws:rds:${dev.primaryRegion}:${dev.account}:snapshot:awsbackup:job-0123`;
    const code = await run(
      ['drill', 'start', '--env', 'dev', '--mode', 'recovery-point', '--recovery-point', arn, '--dry-run'],
      h.deps,
    );
    expect(code).toBe(0);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(h.regions).toEqual([]);
    expect(JSON.parse(h.stdout())).toEqual({
      stateMachineArn: DRILL_SM,
      input: { mode: 'recovery-point', recoveryPointArn: arn },
    });
  });

  it('uses the region and account of the environment (prod)', async () => {
    const h = harness();
    expect(await run(['drill', 'start', '--env', 'prod', '--dry-run'], h.deps)).toBe(0);
    expect(JSON.parse(h.stdout()).stateMachineArn).toBe(
      `arn:aws:states:${prod.primaryRegion}:${prod.account}:stateMachine:authdb-dr-prod-drill`,
    );
  });

  it('--watch follows the execution it started', async () => {
    sfnMock.on(StartExecutionCommand).resolves(started(DRILL_EXEC));
    sfnMock.on(DescribeExecutionCommand).resolves(execution('SUCCEEDED', 600_000));
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: history(['Preflight', 'Report'], true) });
    const h = harness();
    expect(await run(['drill', 'start', '--env', 'dev', '--watch'], h.deps)).toBe(0);
    expect(h.stdout()).toContain(DRILL_EXEC);
    expect(h.stdout()).toContain('SUCCEEDED in 10m00s, within the RTO target 15m');
  });
});

describe('restore start', () => {
  const base = ['restore', 'start', '--env', 'dev', '--source', 'authdb-dev', '--target', 'authdb-dev-restored'];

  it('starts the restore workflow with exactly the validated input', async () => {
    sfnMock.on(StartExecutionCommand).resolves(started(RESTORE_EXEC));
    const h = harness();
    const argv = [
      ...base,
      '--time',
      '2026-11-26T02:55:00+09:00',
      '--instance-class',
      'db.r6g.large',
      '--cutover-confirm',
      'authdb-dev',
      '--name',
      'r-1',
    ];
    expect(await run(argv, h.deps)).toBe(0);
    const expected = {
      sourceInstanceId: 'authdb-dev',
      restoreTime: '2026-11-26T02:55:00+09:00',
      targetInstanceId: 'authdb-dev-restored',
      instanceClass: 'db.r6g.large',
      cutover: { confirmSourceInstanceId: 'authdb-dev' },
    };
    expect(startInput()).toEqual(expected);
    expect(restoreInputSchema.parse(startInput())).toEqual(expected);
    const sent = sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(sent.stateMachineArn).toBe(RESTORE_SM);
    expect(sent.name).toBe('r-1');
    expect(h.regions).toEqual([dev.primaryRegion]);
    expect(h.stdout().trim()).toBe(RESTORE_EXEC);
  });

  it('builds snapshot and recovery-point inputs', async () => {
    sfnMock.on(StartExecutionCommand).resolves(started(RESTORE_EXEC));
    expect(await run([...base, '--snapshot', 'rds:authdb-dev-2026-11-25-18-05'], harness().deps)).toBe(0);
    expect(startInput()).toEqual({
      sourceInstanceId: 'authdb-dev',
      snapshotIdentifier: 'rds:authdb-dev-2026-11-25-18-05',
      targetInstanceId: 'authdb-dev-restored',
    });
    sfnMock.resetHistory();
    const arn = `arn:aws:rds:${dev.primaryRegion}:${dev.account}:snapshot:awsbackup:job-0123`;
    expect(await run([...base, '--recovery-point', arn], harness().deps)).toBe(0);
    expect(startInput()).toMatchObject({ recoveryPointArn: arn });
  });

  it('--dry-run prints the validated input and calls nothing', async () => {
    const h = harness();
    expect(await run([...base, '--time', 'latest', '--dry-run'], h.deps)).toBe(0);
    expect(sfnMock.calls()).toHaveLength(0);
    expect(JSON.parse(h.stdout())).toEqual({
      stateMachineArn: RESTORE_SM,
      input: { sourceInstanceId: 'authdb-dev', restoreTime: 'latest', targetInstanceId: 'authdb-dev-restored' },
    });
  });
});

describe('bad input: exit 2, every problem on stderr, nothing started', () => {
  const restore = (...flags: string[]) => ['restore', 'start', '--env', 'dev', ...flags];
  const cases: [string, string[], RegExp[]][] = [
    [
      'zone-less time',
      restore('--source', 'authdb-dev', '--target', 'authdb-dev-restored-2', '--time', '2026-11-25T17:55:00'),
      [/restoreTime = "2026-11-25T17:55:00"; allowed: an ISO-8601 time with a zone/, /\[--time\]/],
    ],
    [
      'both --time and --snapshot',
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-2',
        '--time',
        'latest',
        '--snapshot',
        'snap-1',
      ),
      [/exactly one of restoreTime, snapshotIdentifier or recoveryPointArn/],
    ],
    [
      'no recovery point at all',
      restore('--source', 'authdb-dev', '--target', 'authdb-dev-restored-2'),
      [/restoreTime = missing; allowed: exactly one of/],
    ],
    [
      'target == source',
      restore('--source', 'authdb-dev', '--target', 'authdb-dev', '--time', 'latest'),
      [/targetInstanceId = "authdb-dev"; allowed: a new identifier, not the source/],
    ],
    [
      'source too long (39 characters)',
      restore('--source', `a${'b'.repeat(38)}`, '--target', 'authdb-dev-restored-2', '--time', 'latest'),
      [/sourceInstanceId = "ab{38}"; allowed: at most 38 characters/],
    ],
    [
      'target malformed',
      restore('--source', 'authdb-dev', '--target', 'Authdb--R-', '--time', 'latest'),
      [/targetInstanceId = "Authdb--R-"; allowed: lowercase letters/],
    ],
    [
      'unknown environment',
      [
        'restore',
        'start',
        '--env',
        'qa',
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-2',
        '--time',
        'latest',
      ],
      [/Unknown environment "qa"; allowed: dev, staging, prod/],
    ],
    [
      'instance class not allowed',
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-2',
        '--time',
        'latest',
        '--instance-class',
        'db.m5.24xlarge',
      ),
      [/instanceClass = "db.m5.24xlarge"; allowed: db.t4g.medium, db.r6g.large, db.r6g.xlarge/],
    ],
    [
      'cutover confirmation mismatch',
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-2',
        '--time',
        'latest',
        '--cutover-confirm',
        'authdb-prod',
      ),
      [/cutover.confirmSourceInstanceId = "authdb-prod"; allowed: exactly the source instance id \(authdb-dev\)/],
    ],
    [
      'several problems at once, all listed',
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev',
        '--time',
        '2026-11-25 17:55',
        '--instance-class',
        'x',
      ),
      [/restoreTime = /, /targetInstanceId = /, /instanceClass = "x"; allowed: an RDS instance class/],
    ],
    [
      'recovery point of another service',
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-2',
        '--recovery-point',
        'arn:aws:dynamodb:ap-northeast-2:111111111111:table/t/backup/1',
      ),
      [/not of dynamodb/],
    ],
    ['missing --target', restore('--source', 'authdb-dev', '--time', 'latest'), [/required option '--target <id>'/]],
    ['missing --env', ['drill', 'start'], [/required option '--env <name>'/]],
    [
      'drill: snapshot mode without --snapshot',
      ['drill', 'start', '--env', 'dev', '--mode', 'snapshot'],
      [/snapshotIdentifier = missing; allowed: required when mode is snapshot/],
    ],
    [
      'drill: unknown mode',
      ['drill', 'start', '--env', 'dev', '--mode', 'pitr'],
      [/mode = "pitr"; allowed: point-in-time, latest-snapshot/],
    ],
    [
      'drill: bad execution name',
      ['drill', 'start', '--env', 'dev', '--name', 'has space'],
      [/name = "has space"; allowed: 1 to 80/],
    ],
    ['unknown flag', ['drill', 'start', '--env', 'dev', '--bogus'], [/unknown option '--bogus'/]],
  ];

  it.each(cases)('%s', async (_label, argv, messages) => {
    sfnMock.on(StartExecutionCommand).resolves(started(DRILL_EXEC));
    const h = harness();
    expect(await run(argv, h.deps)).toBe(2);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    for (const message of messages) expect(h.stderr()).toMatch(message);
    expect(h.stdout()).toBe('');
  });

  it('rejects bad input even with --dry-run', async () => {
    const h = harness();
    expect(
      await run(restore('--source', 'authdb-dev', '--target', 'authdb-dev', '--time', 'latest', '--dry-run'), h.deps),
    ).toBe(2);
    expect(h.stdout()).toBe('');
  });
});

function execution(status: string, elapsedMs: number, extra: Partial<DescribeExecutionCommandOutput> = {}) {
  return {
    executionArn: DRILL_EXEC,
    stateMachineArn: DRILL_SM,
    status,
    startDate: START,
    ...(status === 'RUNNING' ? {} : { stopDate: new Date(START.getTime() + elapsedMs) }),
    ...extra,
  } as DescribeExecutionCommandOutput;
}

/** A history, newest first (reverseOrder), entering each state in turn; `end` appends the execution's end. */
function history(states: string[], end?: boolean | 'failed'): HistoryEvent[] {
  const events: HistoryEvent[] = [
    {
      id: 1,
      type: 'ExecutionStarted',
      timestamp: START,
      executionStartedEventDetails: { input: '{"secret":"payload"}', roleArn: 'arn:aws:iam::1:role/x' },
    },
  ];
  states.forEach((name, i) => {
    const at = new Date(START.getTime() + (i + 1) * 60_000);
    if (i > 0) {
      events.push({
        id: events.length + 1,
        previousEventId: events.length,
        type: 'TaskStateExited',
        timestamp: at,
        stateExitedEventDetails: { name: states[i - 1]!, output: '{"big":"output"}' },
      });
    }
    events.push({
      id: events.length + 1,
      previousEventId: events.length,
      type: 'TaskStateEntered',
      timestamp: at,
      stateEnteredEventDetails: { name, input: '{"big":"input"}' },
    });
    events.push({
      id: events.length + 1,
      previousEventId: events.length,
      type: 'TaskScheduled',
      timestamp: at,
      taskScheduledEventDetails: { resource: 'invoke', resourceType: 'lambda', region: 'x', parameters: '{"p":1}' },
    });
  });
  if (end === true) {
    events.push({
      id: events.length + 1,
      type: 'ExecutionSucceeded',
      timestamp: START,
      executionSucceededEventDetails: { output: '{"report":"x"}' },
    });
  } else if (end === 'failed') {
    events.push({
      id: events.length + 1,
      previousEventId: events.length,
      type: 'TaskFailed',
      timestamp: START,
      taskFailedEventDetails: {
        resource: 'invoke',
        resourceType: 'lambda',
        error: 'SnapshotNotFound',
        cause: 'long cause',
      },
    });
    events.push({
      id: events.length + 1,
      type: 'ExecutionFailed',
      timestamp: START,
      executionFailedEventDetails: { error: 'SnapshotNotFound', cause: 'c' },
    });
  }
  return events.reverse();
}

describe('status', () => {
  it.each([
    ['SUCCEEDED', 0],
    ['RUNNING', 0],
    ['FAILED', 1],
    ['TIMED_OUT', 1],
    ['ABORTED', 1],
  ])('%s -> exit %i', async (status, code) => {
    sfnMock.on(DescribeExecutionCommand).resolves(execution(status, 7 * 60_000 + 12_000));
    const h = harness();
    expect(await run(['status', '--env', 'dev', DRILL_EXEC], h.deps)).toBe(code);
    expect(sfnMock.commandCalls(DescribeExecutionCommand)[0]!.args[0].input).toEqual({ executionArn: DRILL_EXEC });
    expect(h.regions).toEqual([dev.primaryRegion]);
    expect(h.stdout()).toMatch(new RegExp(`Status:\\s+${status}`));
    if (status !== 'RUNNING') expect(h.stdout()).toContain('elapsed 7m12s of RTO target 15m');
    else expect(h.stdout()).toContain('elapsed 1m00s of RTO target 15m');
  });

  it('shows the error and cause of a failed execution', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves(execution('FAILED', 20 * 60_000, { error: 'SnapshotNotFound', cause: 'rds:x does not exist' }));
    const h = harness();
    expect(await run(['status', '--env', 'dev', RESTORE_EXEC], h.deps)).toBe(1);
    expect(h.stdout()).toMatch(/Error:\s+SnapshotNotFound/);
    expect(h.stdout()).toMatch(/Cause:\s+rds:x does not exist/);
    expect(h.stdout()).toContain('elapsed 20m00s of RTO target 15m (OVER by 5m00s)');
  });

  it('a malformed ARN, or one of another environment, exits 2 without calling AWS', async () => {
    for (const arn of ['not an arn', DRILL_SM, DRILL_EXEC.replace(':authdb-dr-dev-drill:', ':other:')]) {
      const h = harness();
      expect(await run(['status', '--env', 'dev', arn], h.deps)).toBe(2);
      expect(h.stderr()).toMatch(/^execution = /);
    }
    const h = harness();
    expect(await run(['status', '--env', 'prod', DRILL_EXEC], h.deps)).toBe(2);
    expect(h.stderr()).toContain('authdb-dr-prod-drill or authdb-dr-prod-restore');
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('an AWS error goes to stderr with exit 1', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));
    const h = harness();
    expect(await run(['status', '--env', 'dev', DRILL_EXEC], h.deps)).toBe(1);
    expect(h.stderr()).toBe('ExecutionDoesNotExist: Execution does not exist\n');
  });
});

describe('watch', () => {
  it('follows RUNNING -> RUNNING -> SUCCEEDED, printing state changes, elapsed vs RTO and events, then exits 0', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce(execution('RUNNING', 0))
      .resolvesOnce(execution('RUNNING', 0))
      .resolves(execution('SUCCEEDED', 12 * 60_000 + 3_000));
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: history(['Preflight']) })
      .resolvesOnce({ events: history(['Preflight', 'RestoreScratch']) })
      .resolves({ events: history(['Preflight', 'RestoreScratch', 'Verify', 'Report'], true) });
    const h = harness();
    expect(await run(['watch', '--env', 'dev', '--interval', '30', DRILL_EXEC], h.deps)).toBe(0);

    const out = h.stdout();
    expect(out).toContain('RUNNING  state Preflight  elapsed 1m00s of RTO target 15m');
    expect(out).toContain('RUNNING  state RestoreScratch  elapsed 1m30s of RTO target 15m');
    expect(out).toContain('SUCCEEDED  state Report  elapsed 12m03s of RTO target 15m');
    expect(out).toContain('SUCCEEDED in 12m03s, within the RTO target 15m');
    expect(out).toContain('2026-11-25T18:02:00Z  TaskStateEntered  RestoreScratch');
    expect(out).toContain('TaskScheduled  Verify');
    expect(out).toContain('ExecutionSucceeded');
    // Each event once (only changes are printed), and no payload of any state.
    expect(out.match(/TaskStateEntered {2}RestoreScratch/g)).toHaveLength(1);
    expect(out).not.toMatch(/payload|big|report|"p"/);
    expect(h.sleeps).toEqual([30_000, 30_000]);
    const calls = sfnMock.commandCalls(GetExecutionHistoryCommand);
    expect(calls).toHaveLength(3);
    expect(calls[0]!.args[0].input).toMatchObject({
      executionArn: DRILL_EXEC,
      reverseOrder: true,
      maxResults: 20,
      includeExecutionData: false,
    });
    expect(h.regions).toEqual([dev.primaryRegion]);
  });

  it('marks the elapsed time over the RTO target and exits 1 when the execution fails', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce(execution('RUNNING', 0))
      .resolves(execution('FAILED', 16 * 60_000, { error: 'SnapshotNotFound', cause: 'no such snapshot' }));
    sfnMock
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: history(['Preflight']) })
      .resolves({ events: history(['Preflight', 'RestoreScratch'], 'failed') });
    const h = harness();
    h.clock.now = START.getTime() + 15 * 60_000 + 30_000;
    expect(await run(['watch', '--env', 'dev', RESTORE_EXEC], h.deps)).toBe(1);
    const out = h.stdout();
    expect(out).toContain('elapsed 15m30s of RTO target 15m (OVER by 30s)');
    expect(out).toContain('FAILED  state RestoreScratch  elapsed 16m00s of RTO target 15m (OVER by 1m00s)');
    expect(out).toContain('TaskFailed  RestoreScratch  error SnapshotNotFound');
    expect(out).toContain('FAILED after 16m00s');
    expect(out).toContain('Error: SnapshotNotFound');
    expect(h.sleeps).toEqual([5_000]);
  });

  it('on a TTY redraws the block in place', async () => {
    sfnMock.on(DescribeExecutionCommand).resolvesOnce(execution('RUNNING', 0)).resolves(execution('SUCCEEDED', 60_000));
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: history(['Preflight'], true) });
    const h = harness(true);
    expect(await run(['watch', '--env', 'dev', DRILL_EXEC], h.deps)).toBe(0);
    expect(h.stdout()).toContain('\x1b[');
    expect(h.stdout()).toContain('Last events:');
  });

  it('an unknown execution exits 1 with the AWS message', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution does not exist', $metadata: {} }));
    const h = harness();
    expect(await run(['watch', '--env', 'dev', DRILL_EXEC], h.deps)).toBe(1);
    expect(h.stderr()).toContain('ExecutionDoesNotExist');
  });

  it('rejects a bad --interval with exit 2', async () => {
    const h = harness();
    expect(await run(['watch', '--env', 'dev', '--interval', '0', DRILL_EXEC], h.deps)).toBe(2);
    expect(sfnMock.calls()).toHaveLength(0);
  });
});

describe('bin/authdb-dr.cjs', () => {
  it('--help lists the commands and exits 0', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'authdb-dr.cjs'), '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(0);
    for (const command of ['drill', 'restore', 'status', 'watch', 'drill start', 'restore start']) {
      expect(result.stdout).toContain(command);
    }
  });

  it('exits 2 on bad input', () => {
    const result = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin', 'authdb-dr.cjs'), 'drill', 'start', '--env', 'nowhere', '--dry-run'],
      { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('Unknown environment "nowhere"');
  });
});

describe('global flags', () => {
  it('--region selects the DR region of the environment; any other region is bad input', async () => {
    const h = harness();
    expect(await run(['drill', 'start', '--env', 'dev', '--region', dev.drRegion, '--dry-run'], h.deps)).toBe(0);
    expect(JSON.parse(h.stdout()).stateMachineArn).toBe(
      `arn:aws:states:${dev.drRegion}:${dev.account}:stateMachine:authdb-dr-dev-drill`,
    );
    const bad = harness();
    expect(await run(['drill', 'start', '--env', 'dev', '--region', 'us-east-1', '--dry-run'], bad.deps)).toBe(2);
    expect(bad.stderr()).toContain(
      `--region = "us-east-1"; allowed: ${dev.primaryRegion} (primary) or ${dev.drRegion} (DR) for environment dev`,
    );
  });

  it('a recovery point of another region is refused before anything starts', async () => {
    sfnMock.on(StartExecutionCommand).resolves(started(DRILL_EXEC));
    const h = harness();
    const arn = `arn:aws:rds:${dev.drRegion}:${dev.account}:snapshot:awsbackup:job-0123`;
    expect(await run(['drill', 'start', '--env', 'dev', '--recovery-point', arn], h.deps)).toBe(2);
    expect(h.stderr()).toContain(`not account ${dev.account}, region ${dev.drRegion} [--recovery-point]`);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
