import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../cli/context.js';
import { type CliDeps, run } from '../cli/main.js';
import { drillInputSchema } from '../lambda/shared/drill.js';
import { restoreInputSchema } from '../lambda/shared/restore-input.js';
import { knownEnvironments, loadConfig } from '../lib/config/load.js';

const ROOT = path.join(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The JSON code blocks that follow `<!-- marker -->`. */
function blocksAfter(marker: string): unknown[] {
  const pattern = new RegExp(`<!-- ${marker} -->\\s*\`\`\`json\\n([\\s\\S]*?)\`\`\``, 'g');
  return [...README.matchAll(pattern)].map((m) => JSON.parse(m[1]!));
}

/** Every `npx authdb-dr ...` command in the README's bash blocks, as argument lists. */
function cliCommands(): string[][] {
  const blocks = [...README.matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line.startsWith('npx authdb-dr '))
    .map((line) => line.slice('npx authdb-dr '.length).split(/\s+/));
}

function cli(args: string[]) {
  return spawnSync('node', ['bin/authdb-dr.cjs', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, AWS_REGION: 'ap-northeast-2' },
  });
}

describe('README', () => {
  it('documents drill inputs that the state machine accepts', () => {
    const inputs = blocksAfter('drill-input');
    expect(inputs.length).toBe(4);
    for (const input of inputs) expect(drillInputSchema.safeParse(input).success, JSON.stringify(input)).toBe(true);
  });

  it('documents one restore input per mode, each accepted by the state machine', () => {
    const inputs = blocksAfter('restore-input') as Record<string, unknown>[];
    for (const input of inputs)
      expect(restoreInputSchema.safeParse(input).error, JSON.stringify(input)).toBeUndefined();
    const modes = inputs.map((i) =>
      i.snapshotIdentifier ? 'snapshot' : i.recoveryPointArn ? 'recovery-point' : i.restoreTime,
    );
    expect(modes).toEqual(expect.arrayContaining(['snapshot', 'recovery-point', 'latest']));
    expect(inputs.some((i) => typeof i.restoreTime === 'string' && i.restoreTime !== 'latest')).toBe(true);
  });

  it('shows CLI dry runs that work as written', async () => {
    // A rewind's and a failover's dry run are read-only executions of their workflows: test/readme-rewind.test.ts
    // and test/readme-failover.test.ts run those.
    const dryRuns = cliCommands().filter(
      (args) => args.includes('--dry-run') && !['rewind', 'failover'].includes(args[0]!),
    );
    expect(dryRuns.length).toBeGreaterThanOrEqual(3);
    for (const args of dryRuns) {
      // In process, on the day the README's example times were written (they must stay in the past and in the
      // retention); no AWS clients, so only the offline checks run.
      let out = '';
      let err = '';
      const deps: CliDeps = {
        sfn: () => {
          throw new Error('a dry run calls no Step Functions API');
        },
        out: (text) => {
          out += text;
        },
        err: (text) => {
          err += text;
        },
        now: () => new Date('2026-11-30T00:00:00Z'),
        sleep: async () => {},
        tty: false,
        environments: knownEnvironments,
        config: (name) => loadConfig(name),
      };
      expect(await run(args, deps), `${args.join(' ')}\n${err}`).toBe(0);
      expect(out).toContain('"input"');
      expect(err).toContain('Checks against the configuration of the environment (offline):');
    }
  });

  it('documents the exit codes the CLI uses', () => {
    for (const [name, code] of Object.entries(EXIT)) {
      expect(README, `exit code ${name}`).toMatch(new RegExp(`^\\| ${code} +\\| `, 'm'));
    }
  });

  it('shows only CLI commands that exist, with flags they accept', () => {
    // One --help run per command (each starts a process), however often the README shows it.
    const helps = new Map<string, ReturnType<typeof cli>>();
    for (const args of cliCommands()) {
      const words = args.filter((a) => !a.startsWith('-'));
      const command = ['drill', 'restore', 'logical', 'rewind', 'failover'].includes(words[0]!)
        ? words.slice(0, 2)
        : words.slice(0, 1);
      const key = command.join(' ');
      if (!helps.has(key)) helps.set(key, cli([...command, '--help']));
      const help = helps.get(key)!;
      expect(help.status, command.join(' ')).toBe(0);
      for (const flag of args.filter((a) => a.startsWith('--')))
        expect(help.stdout, `${command.join(' ')} ${flag}`).toContain(flag);
    }
  });

  it('uses only npm scripts that exist', () => {
    const scripts = Object.keys(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts);
    const used = [...README.matchAll(/npm run ([a-z][a-z:-]*[a-z])/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const script of used) expect(scripts).toContain(script);
  });
});
