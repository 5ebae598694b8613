import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliDeps, run } from '../cli/main.js';
import { failoverInputSchema } from '../lambda/failover-control/control.js';
import { knownEnvironments, loadConfig } from '../lib/config/load.js';

const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README: region loss', () => {
  it('documents failover inputs the workflow accepts, one per mode', () => {
    const blocks = [...README.matchAll(/<!-- failover-input -->\s*```json\n([\s\S]*?)```/g)].map((m) =>
      JSON.parse(m[1]!),
    );
    expect(blocks.map((b) => b.mode).sort()).toEqual(['pitr', 'promote', 'recovery-point']);
    for (const block of blocks) expect(failoverInputSchema.safeParse(block).error).toBeUndefined();
  });

  it('names the state machine and stacks the app builds', () => {
    expect(README).toContain('authdb-dr-prod-failover');
    expect(README).toContain('`authdb-dr-ENV-dr-recovery`');
    expect(README).toContain('`authdb-dr-ENV-dr-standby`');
  });
});

/** Every `npx authdb-dr failover start ...` command in the README's bash blocks, as argument lists. */
function failoverStarts(): string[][] {
  return [...README.matchAll(/```bash\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('npx authdb-dr failover start '))
    .map((line) => line.slice('npx authdb-dr '.length).split(/\s+/));
}

describe('README: failover with the CLI', () => {
  const sfnMock = mockClient(SFNClient);
  afterAll(() => sfnMock.restore());
  const NOW = new Date('2026-11-30T00:00:00Z');
  const STARTED = 'arn:aws:states:ap-northeast-1:333333333333:execution:authdb-dr-prod-failover:readme-1';

  it('shows a dry run and a failover that work as written, in the DR region, sending the documented input', async () => {
    const starts = failoverStarts();
    expect(starts.length).toBe(2);
    const documented = [...README.matchAll(/<!-- failover-input -->\s*```json\n([\s\S]*?)```/g)].map((m) =>
      JSON.parse(m[1]!),
    );
    for (const args of starts) {
      const dryRun = args.includes('--dry-run');
      sfnMock.reset();
      sfnMock.on(StartExecutionCommand).resolves({ executionArn: STARTED, startDate: NOW });
      sfnMock.on(DescribeExecutionCommand).resolves({
        executionArn: STARTED,
        stateMachineArn: STARTED.replace(':execution:', ':stateMachine:').replace(/:readme-1$/, ''),
        status: 'SUCCEEDED',
        startDate: NOW,
        stopDate: NOW,
        output: JSON.stringify(
          dryRun
            ? { dryRun: true, mode: 'promote', writerInstanceId: 'authdb-prod-standby', source: 'x' }
            : { outcome: 'succeeded', writer: { instanceId: 'authdb-prod-standby' }, applicationChanges: [] },
        ),
      });
      sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
      let err = '';
      const regions: string[] = [];
      const deps: CliDeps = {
        sfn: (region) => {
          regions.push(region);
          return new SFNClient({ region, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' } });
        },
        out: () => {},
        err: (text) => {
          err += text;
        },
        // The day the README's example failure time was written: it must stay in the past.
        now: () => NOW,
        sleep: async () => {},
        tty: false,
        environments: knownEnvironments,
        config: (name) => loadConfig(name),
      };
      expect(await run(args, deps), `${args.join(' ')}\n${err}`).toBe(0);
      expect(new Set(regions)).toEqual(new Set(['ap-northeast-1']));
      const call = sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input;
      expect(call.stateMachineArn).toBe(
        'arn:aws:states:ap-northeast-1:333333333333:stateMachine:authdb-dr-prod-failover',
      );
      const input = JSON.parse(String(call.input));
      expect(failoverInputSchema.safeParse(input).error).toBeUndefined();
      expect(input).toEqual({ ...documented[0], dryRun });
    }
  });
});
