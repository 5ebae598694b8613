import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type CliDeps, run } from '../../cli/main.js';
import { drRegionDrillInputSchema } from '../../lambda/shared/dr-region-drill.js';
import { knownEnvironments, loadConfig } from '../../lib/config/load.js';

/* `authdb-dr dr-drill start|status|watch`: the DR-region drill's state machine, in the DR region only. */

const sfnMock = mockClient(SFNClient);
const prod = loadConfig('prod');
const SM = `arn:aws:states:${prod.drRegion}:${prod.account}:stateMachine:authdb-dr-prod-dr-region-drill`;
const EXEC = `arn:aws:states:${prod.drRegion}:${prod.account}:execution:authdb-dr-prod-dr-region-drill:monthly-1`;
const START = new Date('2026-12-09T05:00:00Z');

function harness(config: CliDeps['config'] = (name) => loadConfig(name)) {
  const io = { out: '', err: '', regions: [] as string[] };
  const deps: CliDeps = {
    sfn: (region) => {
      io.regions.push(region);
      return new SFNClient({ region, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' } });
    },
    out: (text) => {
      io.out += text;
    },
    err: (text) => {
      io.err += text;
    },
    now: () => new Date(START.getTime() + 20 * 60_000),
    sleep: async () => {},
    tty: false,
    environments: knownEnvironments,
    config,
  };
  return { deps, io };
}

/** What the workflow's report leaves in its output: the plan, the scratch instance, verification, cleanup. */
const output = {
  plan: { scratchInstanceId: 'drill-202612090500-0a1b2c3d', rpo: { lagSeconds: 120 } },
  restore: { requestedAt: '2026-12-09T05:01:00.000Z', restoreTime: '2026-12-09T05:00:30.000Z' },
  verification: { ok: true, complete: true, summary: '3 tables match', verifiedAt: '2026-12-09T05:13:00.000Z' },
  cleanup: { action: 'deleted', at: '2026-12-09T05:14:00.000Z' },
};

beforeEach(() => {
  sfnMock.reset();
});

describe('dr-drill start', () => {
  it('starts the DR-region drill in the DR region with the input its workflow accepts, and says how to follow it', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXEC, startDate: START });
    const { deps, io } = harness();
    expect(await run(['dr-drill', 'start', '--env', 'prod', '--name', 'monthly-1'], deps)).toBe(0);
    const calls = sfnMock.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    const sent = calls[0]!.args[0].input;
    expect(sent.stateMachineArn).toBe(SM);
    expect(sent.name).toBe('monthly-1');
    expect(drRegionDrillInputSchema.safeParse(JSON.parse(sent.input!)).success).toBe(true);
    expect(io.regions).toEqual([prod.drRegion]);
    expect(io.out).toBe(`${EXEC}\n`);
    expect(io.err).toContain(`Follow it with: npx authdb-dr watch --env prod --region ${prod.drRegion} monthly-1`);
  });

  it('--dry-run prints the state machine and the input and starts nothing', async () => {
    const { deps, io } = harness();
    expect(await run(['dr-drill', 'start', '--env', 'prod', '--dry-run'], deps)).toBe(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(JSON.parse(io.out)).toEqual({ stateMachineArn: SM, input: {} });
    expect(io.err).toContain('no execution started');
  });

  it('refuses an environment without the DR-region drill, and --region naming the primary region, before AWS', async () => {
    const disabled = harness((name) => {
      const config = loadConfig(name);
      return { ...config, drRegionDrill: { ...config.drRegionDrill, enabled: false } };
    });
    expect(await run(['dr-drill', 'start', '--env', 'prod'], disabled.deps)).toBe(2);
    expect(disabled.io.err).toContain('Environment prod has no DR-region drill (drRegionDrill.enabled is false');
    const primary = harness();
    expect(await run(['--region', prod.primaryRegion, 'dr-drill', 'start', '--env', 'prod'], primary.deps)).toBe(2);
    expect(primary.io.err).toContain(
      `allowed: ${prod.drRegion} (the DR region of prod, where the DR-region drill runs)`,
    );
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect([...disabled.io.regions, ...primary.io.regions]).toEqual([]);
  });

  it('refuses a bad execution name before AWS', async () => {
    const { deps, io } = harness();
    expect(await run(['dr-drill', 'start', '--env', 'prod', '--name', 'no spaces'], deps)).toBe(2);
    expect(io.err).toContain('name = "no spaces"; allowed: 1 to 80 letters, digits, - and _');
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});

describe('dr-drill status and watch', () => {
  it('status reads the execution in the DR region and shows what it produced, with its report', async () => {
    sfnMock.on(DescribeExecutionCommand, { executionArn: EXEC }).resolves({
      executionArn: EXEC,
      status: 'SUCCEEDED',
      startDate: START,
      stopDate: new Date(START.getTime() + 14 * 60_000),
      output: JSON.stringify(output),
    });
    const { deps, io } = harness();
    expect(await run(['dr-drill', 'status', '--env', 'prod', 'monthly-1'], deps)).toBe(0);
    expect(io.regions).toEqual([prod.drRegion]);
    expect(io.out).toContain('State machine: authdb-dr-prod-dr-region-drill');
    expect(io.out).toMatch(/Scratch instance:\s+drill-202612090500-0a1b2c3d/);
    expect(io.out).toContain('Cleanup:');
    expect(io.out).toContain(
      `drills/prod/2026/12/monthly-1.json (bucket: the report bucket of stack authdb-dr-prod-dr-drill (${prod.drRegion}))`,
    );
  });

  it('status refuses what is not a DR-region drill execution name', async () => {
    const { deps, io } = harness();
    expect(await run(['dr-drill', 'status', '--env', 'prod', 'a/b'], deps)).toBe(2);
    expect(io.err).toContain('allowed: a dr-region-drill execution name or ARN');
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it('the printed re-attach command (top-level watch in the DR region) finds a DR-region drill by name', async () => {
    sfnMock.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
      if (input.executionArn !== EXEC) throw new ExecutionDoesNotExist({ message: 'no', $metadata: {} });
      return { executionArn: EXEC, status: 'FAILED', startDate: START, stopDate: START, error: 'VerificationFailed' };
    });
    sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
    const { deps, io } = harness();
    expect(await run(['--region', prod.drRegion, 'watch', '--env', 'prod', 'monthly-1'], deps)).toBe(1);
    expect(io.out).toContain('Watching authdb-dr-prod-dr-region-drill monthly-1');
    expect(io.out).toContain('Error: VerificationFailed');
  });
});
