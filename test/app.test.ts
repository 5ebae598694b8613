import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CDK_CONTEXT } from './support/app.js';

const ROOT = path.join(__dirname, '..');

/** Runs bin/app.ts the way the CDK CLI does (context and output folder through the environment). */
function synth(context: Record<string, unknown>) {
  const outdir = mkdtempSync(path.join(tmpdir(), 'authdb-bin-'));
  const run = spawnSync('npx', ['tsx', 'bin/app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context }),
    },
  });
  const templates = run.status === 0 ? readdirSync(outdir).filter((f) => f.endsWith('.template.json')) : [];
  rmSync(outdir, { recursive: true, force: true });
  return { status: run.status, stderr: run.stderr, templates: templates.sort() };
}

describe('bin/app.ts', () => {
  it('synthesizes only the environment named with -c env=NAME, in both regions', () => {
    const { status, templates } = synth({ env: 'staging' });
    expect(status).toBe(0);
    expect(templates).toEqual([
      'authdb-dr-staging-backup.template.json',
      'authdb-dr-staging-database.template.json',
      'authdb-dr-staging-dr-drill.template.json',
      'authdb-dr-staging-dr-recovery.template.json',
      'authdb-dr-staging-dr-region.template.json',
      'authdb-dr-staging-dr-standby.template.json',
      'authdb-dr-staging-logical-backup-dr.template.json',
      'authdb-dr-staging-logical-backup.template.json',
      'authdb-dr-staging-recovery.template.json',
    ]);
    // A real synth bundles every function of nine stacks: minutes on a busy two-core machine.
  }, 240_000);

  it('fails with the list of known environments for an unknown name, creating nothing', () => {
    const { status, stderr, templates } = synth({ env: 'qa' });
    expect(status).toBe(1);
    expect(stderr).toContain('Unknown environment "qa"; allowed: dev, staging, prod');
    expect(templates).toEqual([]);
  });
});
