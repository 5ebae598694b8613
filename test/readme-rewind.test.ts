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
import { rewindInputSchema } from '../lambda/shared/rewind.js';
import { knownEnvironments, loadConfig } from '../lib/config/load.js';

const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README: rewind', () => {
  it('documents rewind inputs the state machine accepts, a dry run among them', () => {
    const inputs = [...README.matchAll(/<!-- rewind-input -->\s*```json\n([\s\S]*?)```/g)].map((m) =>
      JSON.parse(m[1]!),
    );
    expect(inputs.length).toBe(2);
    for (const input of inputs) expect(rewindInputSchema.safeParse(input).error, JSON.stringify(input)).toBeUndefined();
    expect(inputs.some((i) => i.dryRun === true)).toBe(true);
  });
});

/** Every `npx authdb-dr rewind start ...` command in the README's bash blocks, as argument lists (quotes kept whole). */
function rewindStarts(): string[][] {
  return [...README.matchAll(/```bash\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('npx authdb-dr rewind start '))
    .map((line) => [...line.slice('npx authdb-dr '.length).matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!));
}

describe('README: rewind with the CLI', () => {
  const sfnMock = mockClient(SFNClient);
  afterAll(() => sfnMock.restore());
  const NOW = new Date('2026-11-30T00:00:00Z');
  const STARTED = 'arn:aws:states:ap-northeast-2:333333333333:execution:authdb-dr-prod-rewind:readme-1';

  async function runAsWritten(args: string[]) {
    let out = '';
    let err = '';
    const deps: CliDeps = {
      sfn: (region) => new SFNClient({ region, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' } }),
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
      // The day the README's example time was written: it must lie within the replica's delay before "now".
      now: () => NOW,
      sleep: async () => {},
      tty: false,
      environments: knownEnvironments,
      config: (name) => loadConfig(name),
    };
    const code = await run(args, deps);
    return { code, out, err };
  }

  it('shows a dry run and a confirmed rewind that work as written', async () => {
    const starts = rewindStarts();
    expect(starts.length).toBe(2);
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
            ? { canRewind: true, expectedRecoveryPoint: 'the last commit before T', expectedSeconds: 484, steps: ['x'] }
            : { outcome: 'succeeded', cutover: { requested: true, completed: true } },
        ),
      });
      sfnMock.on(GetExecutionHistoryCommand).resolves({ events: [] });
      const result = await runAsWritten(args);
      expect(result.code, `${args.join(' ')}\n${result.err}`).toBe(0);
      const input = JSON.parse(String(sfnMock.commandCalls(StartExecutionCommand)[0]!.args[0].input.input));
      expect(rewindInputSchema.safeParse(input).error).toBeUndefined();
      expect(input.dryRun).toBe(dryRun);
      if (dryRun) expect(result.out).toMatch(/Expected time:\s+about 8m04s/);
      // prod's two-person rule: the confirmed start carries the starter's identity proof (a presigned STS URL).
      else
        expect(input.cutover).toEqual({
          confirmSourceInstanceId: 'authdb-prod',
          identityProof: expect.stringMatching(
            /^https:\/\/sts\.ap-northeast-2\.amazonaws\.com\/\?Action=GetCallerIdentity&/,
          ),
        });
    }
  });
});
