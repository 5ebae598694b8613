import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { drillInputSchema } from '../lambda/shared/drill.js';
import { restoreInputSchema } from '../lambda/shared/restore-input.js';

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

  it('shows CLI dry runs that work as written', () => {
    const dryRuns = cliCommands().filter((args) => args.includes('--dry-run'));
    expect(dryRuns.length).toBeGreaterThanOrEqual(2);
    for (const args of dryRuns) {
      const run = cli(args);
      expect(run.status, `${args.join(' ')}\n${run.stderr}`).toBe(0);
      expect(run.stdout).toContain('"input"');
    }
  });

  it('shows only CLI commands that exist, with flags they accept', () => {
    for (const args of cliCommands()) {
      const words = args.filter((a) => !a.startsWith('-'));
      const command = words[0] === 'drill' || words[0] === 'restore' ? words.slice(0, 2) : words.slice(0, 1);
      const help = cli([...command, '--help']);
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
