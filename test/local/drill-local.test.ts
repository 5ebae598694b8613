import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvironment } from '../../lib/app.js';
import { loadConfig } from '../../lib/config/load.js';
import { formatReport, type LocalDrillResult, runLocalDrill } from '../../local/drill-local.js';
import { CDK_CONTEXT } from '../support/app.js';

// The real thing end to end: the dev environment synthesized with its Lambdas bundled (as `npm run synth` does),
// then the drill run against local PostgreSQL clusters. Slow by nature (a synth and a few real restores).

let cdkOut: string;
let outDir: string;

beforeAll(() => {
  cdkOut = mkdtempSync(join(tmpdir(), 'authdb-dr-drill-local-cdk-'));
  outDir = mkdtempSync(join(tmpdir(), 'authdb-dr-drill-local-out-'));
  // Asset metadata (which asset folder holds a function's bundle) is what the CDK CLI asks for, and what drill:local
  // reads. Only the recovery stack, which holds the drill, is bundled: bundling is the slow part.
  const app = new App({
    outdir: cdkOut,
    context: {
      ...CDK_CONTEXT,
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:bundling-stacks': ['authdb-dr-dev-recovery'],
    },
  });
  buildEnvironment(app, loadConfig('dev'));
  app.synth();
}, 900_000);

afterAll(() => {
  rmSync(cdkOut, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

/** Processes whose command line names `path` (postgres -D <dir>, the function hosts' bundles). */
function processesUsing(path: string): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.split('\n').filter((line) => line.includes(path) && !line.includes('ps -eo'));
}

function expectNothingLeft(result: LocalDrillResult): void {
  expect(existsSync(result.runDir)).toBe(false);
  expect(processesUsing(result.runDir)).toEqual([]);
  expect(processesUsing(cdkOut)).toEqual([]);
}

async function drill(opts: { break?: 'lost-rows'; keep?: boolean } = {}) {
  const lines: string[] = [];
  const result = await runLocalDrill({
    rows: 300,
    cdkOut,
    outDir,
    waitMs: 500,
    shipIntervalMs: 1000,
    print: (line) => lines.push(line),
    ...opts,
  });
  return { result, lines };
}

describe('npm run drill:local', () => {
  it('runs the synthesized drill with the bundled Lambdas, restores for real, reports and removes everything', async () => {
    const { result, lines } = await drill();
    expect(result.status, `${result.error}: ${result.cause}\n${lines.join('\n')}`).toBe('SUCCEEDED');
    const report = result.report!;
    expect(report).toMatchObject({ kind: 'dr-drill', environment: 'dev', outcome: 'succeeded', mode: 'point-in-time' });
    expect(report.cleanup?.action).toBe('deleted');
    expect(report.rto.withinTarget).toBe(true);
    expect(report.rto.totalSeconds).toBeGreaterThanOrEqual(0);
    const verification = report.verification;
    if (!verification?.compared) throw new Error('expected a compared verification');
    // Every sample row is settled and restored; the rows written during the drill are reported, not compared.
    for (const table of verification.verification.tables) {
      expect(table).toMatchObject({ compared: 'settled', difference: 0, withinTolerance: true });
      expect(table.source?.settled).toBe(300);
    }
    expect(verification.verification.tables.map((t) => t.table)).toEqual(['users', 'platform_accounts', 'audit_logs']);
    // What the report function wrote to (local) S3 is the report the run prints.
    expect(JSON.parse(readFileSync(result.reportPath!, 'utf8'))).toEqual(report);
    expect(result.summary).toContain('DR drill succeeded (point-in-time) for authdb-dev in dev.');
    // Live progress against the RTO target, through the phases of the state machine.
    const progress = lines.join('\n');
    for (const phase of [
      'preflight',
      'count source at C',
      'request restore',
      'restoring',
      'verify',
      'cleanup',
      'report',
    ]) {
      expect(progress).toContain(`] ${phase}`);
    }
    expect(progress).toMatch(/RTO \dm\d\ds of 15m00s/);
    expect(progress).toContain('verifier role authdb_verifier created');
    const printed = formatReport(result).join('\n');
    expect(printed).toMatch(/audit_logs\s+settled\s+300\s+300\s+0/);
    expect(printed).toContain('RTO: restore');
    expect(printed).toContain('RPO: lag');
    expectNothingLeft(result);
  }, 240_000);

  it('--break lost-rows fails naming the table, and still deletes the scratch instance', async () => {
    const { result, lines } = await drill({ break: 'lost-rows' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('VerificationMismatch');
    expect(result.cause).toContain('audit_logs: 300 rows at or before');
    expect(result.cause).toContain('295 restored');
    expect(result.report?.mismatchedTables).toEqual(['audit_logs']);
    expect(result.report?.cleanup?.action).toBe('deleted');
    expect(formatReport(result).join('\n')).toMatch(/audit_logs .*MISMATCH/);
    expect(lines.join('\n')).toContain('deleted (cluster stopped, data directory removed)');
    expectNothingLeft(result);
  }, 240_000);

  it('--keep leaves the restored cluster running, reachable with TLS verified against the run CA', async () => {
    const { result } = await drill({ keep: true });
    const kept = result.kept;
    if (!kept) throw new Error(`nothing kept: ${result.status} ${result.error}: ${result.cause}`);
    try {
      expect(result.status).toBe('SUCCEEDED');
      expect(existsSync(kept.dataDir)).toBe(true);
      const psql = '/usr/lib/postgresql/15/bin/psql';
      const count = execFileSync(
        psql,
        [
          `host=${kept.host} port=${kept.port} dbname=${kept.database} user=${kept.verifierUser} sslmode=verify-full sslrootcert=${kept.caPath}`,
          '-Atc',
          // The verifier reads no table itself: it counts through the functions the bootstrap installed.
          "SELECT total FROM authdb_verify.table_counts('users', now(), false)",
        ],
        { encoding: 'utf8' },
      );
      expect(count.trim()).toBe('300');
      // Only the cluster and the CA's certificate stay: no key of the throwaway CA.
      expect(readdirSync(join(kept.runDir, 'tls'))).toEqual(['ca.pem']);
    } finally {
      execFileSync('sh', ['-c', kept.stopCommand]);
    }
    expect(existsSync(kept.runDir)).toBe(false);
    expect(processesUsing(kept.runDir)).toEqual([]);
  }, 240_000);
});

describe('Ctrl-C', () => {
  it('stops the clusters and functions and removes the run folder', async () => {
    // One process (no npx or tsx wrapper in between), so the signal reaches the drill itself.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/main.ts', '--rows', '300', '--cdk-out', cdkOut, '--out', outDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Interrupted while the drill runs (after the source, the stand-in and the functions have started).
    const deadline = Date.now() + 120_000;
    while (!/\] (restoring|verify|cleanup)/.test(output)) {
      if (Date.now() > deadline) throw new Error(`the drill did not get going:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const runDir = /in (\S+authdb-dr-drill-local-\S+)/.exec(output)![1]!;
    child.kill('SIGINT');
    const code = await exited;
    expect(output).toContain('SIGINT: stopping the local drill');
    expect(code).not.toBe(0);
    expect(existsSync(runDir)).toBe(false);
    expect(processesUsing(runDir)).toEqual([]);
  }, 240_000);
});
