import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { AwsStandin, type StandinState } from '../support/aws-standin.js';
import { type CliRun, runBuiltCli } from '../support/cli-process.js';
import { drillOutput, restoreOutput } from './outputs.js';

/*
 * The built CLI (bin/authdb-dr.cjs -> dist/cli.cjs), run as a child process with the real AWS SDK pointed at a local
 * Step Functions / RDS / AWS Backup stand-in over HTTP (AWS_ENDPOINT_URL).
 */

const ROOT = path.resolve(__dirname, '..', '..');
const dev = loadConfig('dev');
const REGION = dev.primaryRegion;
const DR = dev.drRegion;
const ACCOUNT = dev.account;
const HOUR = 3600_000;
const now = () => new Date();

let standin: AwsStandin;
let endpoint: string;
const state: StandinState = { executions: [], instances: [], snapshots: [], recoveryPoints: [], replicated: [] };

beforeAll(async () => {
  standin = new AwsStandin(state);
  endpoint = await standin.start();
});
afterAll(async () => {
  await standin.stop();
});
beforeEach(() => {
  const t = now();
  state.executions = [];
  state.sfnFailure = undefined;
  state.started = undefined;
  state.instances = [
    {
      id: 'authdb-dev',
      region: REGION,
      status: 'available',
      latestRestorableTime: new Date(t.getTime() - 4 * 60_000),
      earliestRestorableTime: new Date(t.getTime() - 24 * HOUR),
    },
  ];
  state.replicated = [
    {
      region: DR,
      instanceId: 'authdb-dev',
      sourceRegion: REGION,
      earliest: new Date(t.getTime() - 20 * HOUR),
      latest: new Date(t.getTime() - 10 * 60_000),
    },
  ];
  state.snapshots = [
    {
      id: 'rds:authdb-dev-2026-11-29-18-05',
      region: REGION,
      account: ACCOUNT,
      instanceId: 'authdb-dev',
      createdAt: new Date(t.getTime() - 12 * HOUR),
      status: 'available',
      type: 'automated',
    },
    {
      id: 'before-migration',
      region: REGION,
      account: ACCOUNT,
      instanceId: 'authdb-staging',
      createdAt: new Date(t.getTime() - 30 * HOUR),
      status: 'available',
      type: 'manual',
    },
  ];
  state.recoveryPoints = [
    {
      vault: 'authdb-dr-dev-primary',
      region: REGION,
      arn: `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:awsbackup:job-primary-1`,
      createdAt: new Date(t.getTime() - 6 * HOUR),
      status: 'COMPLETED',
    },
    {
      vault: 'authdb-dr-dev-dr',
      region: DR,
      arn: `arn:aws:rds:${DR}:${ACCOUNT}:snapshot:awsbackup:copyjob-dr-1`,
      createdAt: new Date(t.getTime() - 5 * HOUR),
      status: 'COMPLETED',
    },
  ];
  standin.calls.length = 0;
  standin.sfnCalls = 0;
});

type Run = CliRun;

/** Runs the CLI against the stand-in; `onStdout` sees the output as it arrives (to send Ctrl-C mid-watch). */
function cli(args: string[], onStdout?: Parameters<typeof runBuiltCli>[2]): Promise<Run> {
  return runBuiltCli(endpoint, args, onStdout);
}

function execution(
  stateMachine: 'restore' | 'drill',
  name: string,
  extra: Partial<StandinState['executions'][number]> = {},
) {
  const startDate = new Date(now().getTime() - 20 * 60_000);
  const e = {
    stateMachine: `authdb-dr-dev-${stateMachine}`,
    name,
    region: REGION,
    account: ACCOUNT,
    startDate,
    statuses: ['SUCCEEDED'],
    durationSeconds: 13 * 60 + 17,
    ...extra,
  };
  state.executions.push(e);
  return e;
}

describe('results after success', () => {
  it('watch (by name) follows a restore to the end and prints what it produced', async () => {
    const e = execution('restore', 'r-1', {
      statuses: ['RUNNING', 'RUNNING', 'SUCCEEDED'],
      states: ['Validate', 'Restore', 'Verify', 'Report'],
    });
    e.output = restoreOutput({ name: 'r-1', account: ACCOUNT, region: REGION, startedAt: e.startDate });
    const run = await cli(['watch', '--env', 'dev', '--interval', '1', 'r-1']);
    expect(run.stderr).not.toMatch(/NodeVersionSupportWarning|DeprecationWarning/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SUCCEEDED in 13m17s, within the RTO target 15m');
    expect(run.stdout).toMatch(/Restored instance:\s+authdb-dev-restored-1/);
    expect(run.stdout).toMatch(/Endpoint:\s+authdb-dev-restored-1\.abc\.ap-northeast-2\.rds\.amazonaws\.com:5432/);
    expect(run.stdout).toMatch(
      /Recovery point:\s+point in time \d{4}-\d\d-\d\dT[\d:]+Z \(Asia\/Seoul [\d-]+ [\d:]+\+09\)/,
    );
    expect(run.stdout).toMatch(/Verification:\s+ok: 3 tables verified/);
    expect(run.stdout).toMatch(/users\s+1180\s+1180\s+0\s+settled/);
    expect(run.stdout).toMatch(/Cutover:\s+not requested/);
    expect(run.stdout).toMatch(
      /Report:\s+restores\/dev\/\d{4}\/\d\d\/r-1\.json \(bucket: output ReportBucketName of stack authdb-dr-dev-recovery\)/,
    );
    expect(standin.callsOf('DescribeExecution').length).toBeGreaterThanOrEqual(3);
  });

  it('restore start --watch starts the workflow and prints the cutover outcome at the end', async () => {
    const startedAt = now();
    state.started = {
      statuses: ['RUNNING', 'SUCCEEDED'],
      states: ['Validate', 'Report'],
      output: restoreOutput({ name: 'r-cut', account: ACCOUNT, region: REGION, startedAt, cutover: true }),
    };
    const run = await cli([
      'restore',
      'start',
      '--env',
      'dev',
      '--source',
      'authdb-dev',
      '--time',
      'latest',
      '--target',
      'authdb-dev-restored-1',
      '--cutover-confirm',
      'authdb-dev',
      '--name',
      'r-cut',
      '--watch',
      '--interval',
      '1',
    ]);
    expect(run.code).toBe(0);
    const start = standin.callsOf('StartExecution')[0]!;
    expect(start.params.stateMachineArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:authdb-dr-dev-restore`);
    expect(JSON.parse(String(start.params.input))).toMatchObject({
      restoreTime: 'latest',
      cutover: { confirmSourceInstanceId: 'authdb-dev' },
    });
    expect(run.stdout).toMatch(/Restored instance:\s+authdb-dev\n/);
    expect(run.stdout).toMatch(
      /Cutover:\s+done at .*authdb-dev is the restored database; the old one is authdb-dev-pre-restore-/,
    );
  });

  it('status --output json gives scripts the same facts', async () => {
    const e = execution('restore', 'r-json');
    e.output = restoreOutput({ name: 'r-json', account: ACCOUNT, region: REGION, startedAt: e.startDate });
    const run = await cli(['status', '--env', 'dev', '--output', 'json', 'r-json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({
      environment: 'dev',
      name: 'r-json',
      workflow: 'restore',
      status: 'SUCCEEDED',
      elapsedSeconds: 797,
      result: {
        instanceId: 'authdb-dev-restored-1',
        endpoint: 'authdb-dev-restored-1.abc.ap-northeast-2.rds.amazonaws.com:5432',
        verification: { ok: true, missingTables: [] },
        rto: { seconds: 660, targetSeconds: 900, withinTarget: true },
        report: { key: expect.stringMatching(/^restores\/dev\/\d{4}\/\d\d\/r-json\.json$/) },
      },
    });
    expect(doc.result.verification.tables).toContainEqual(
      expect.objectContaining({ table: 'audit_logs', source: 97990, restored: 97990, difference: 0 }),
    );
  });

  it('status of a drill prints RTO and RPO against the targets, cleanup and the report', async () => {
    const e = execution('drill', 'weekly-1');
    e.output = drillOutput({ name: 'weekly-1', account: ACCOUNT, region: REGION, startedAt: e.startDate });
    const run = await cli(['status', '--env', 'dev', 'weekly-1']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/RTO:\s+16m00s OVER the RTO target 15m/);
    expect(run.stdout).toMatch(
      /RPO:\s+lag 4m00s within the RPO target 5m; restored data 30s older than the restore point/,
    );
    expect(run.stdout).toMatch(/Cleanup:\s+scratch instance deleted/);
    expect(run.stdout).toMatch(/Report:\s+drills\/dev\/2026\/11\/weekly-1\.json/);
  });

  it('a failed restore: exit 1, error and cause, and where its report is', async () => {
    execution('restore', 'r-fail', {
      statuses: ['FAILED'],
      error: 'SnapshotNotFound',
      cause: 'Snapshot x does not exist',
    });
    const run = await cli(['status', '--env', 'dev', 'r-fail']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Error:\s+SnapshotNotFound/);
    expect(run.stdout).toMatch(/Verification:\s+not reached/);
    expect(run.stdout).toMatch(/Report:\s+restores\/dev\/\d{4}\/\d\d\/r-fail\.json/);
  });

  it('an unknown execution name is bad input (exit 2) naming both state machines', async () => {
    const run = await cli(['status', '--env', 'dev', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('the name of an execution of authdb-dr-dev-restore or authdb-dr-dev-drill');
  });
});

describe('could not observe: exit 3 with the re-attach command', () => {
  it('ExpiredTokenException mid-watch while the restore still runs', async () => {
    execution('restore', 'r-2', { statuses: ['RUNNING'], states: ['Validate', 'Restore'] });
    // 1 call finds the name, 2 calls a poll: the second poll's describe fails.
    state.sfnFailure = { afterCalls: 3, code: 'ExpiredTokenException', status: 400 };
    const run = await cli(['watch', '--env', 'dev', '--interval', '1', 'r-2']);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('RUNNING  state Restore');
    expect(run.stderr).toContain(
      `Could not describe execution r-2 for environment dev (account ${ACCOUNT}, region ${REGION}): ExpiredTokenException`,
    );
    expect(run.stderr).toContain(`use credentials for account ${ACCOUNT}`);
    expect(run.stderr).toContain(
      'The execution may still be running. Re-attach with:\n  npx authdb-dr watch --env dev r-2',
    );
  });

  it('throttling on status is exit 3 too, naming the profile given', async () => {
    execution('restore', 'r-3', { statuses: ['RUNNING'] });
    state.sfnFailure = { afterCalls: 0, code: 'ThrottlingException', status: 400 };
    const run = await cli([
      'status',
      '--env',
      'dev',
      '--profile',
      'ops',
      `arn:aws:states:${REGION}:${ACCOUNT}:execution:authdb-dr-dev-restore:r-3`,
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`environment dev (account ${ACCOUNT}, region ${REGION}, profile ops)`);
  }, 60_000);

  it('Ctrl-C during watch prints the re-attach line', async () => {
    execution('drill', 'd-1', { statuses: ['RUNNING'], states: ['Preflight'] });
    let sent = false;
    const run = await cli(['watch', '--env', 'dev', '--interval', '1', 'd-1'], (out, child) => {
      if (!sent && out.includes('RUNNING  state Preflight')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    expect(sent).toBe(true);
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(
      'Stopped watching; the execution keeps running. Re-attach with:\n  npx authdb-dr watch --env dev d-1',
    );
  });
});

describe('look-ups', () => {
  it('executions lists both workflows, newest first; --workflow narrows it', async () => {
    execution('restore', 'r-old', { startDate: new Date(now().getTime() - 48 * HOUR) });
    execution('drill', 'd-new', { statuses: ['FAILED'], startDate: new Date(now().getTime() - HOUR) });
    const all = await cli(['executions', '--env', 'dev']);
    expect(all.code).toBe(0);
    const lines = all.stdout.split('\n').filter((l) => /^\s+(drill|restore)\s/.test(l));
    expect(lines[0]).toMatch(/drill\s+d-new\s+FAILED/);
    expect(lines[1]).toMatch(/restore\s+r-old\s+SUCCEEDED\s+started .* took 13m17s/);
    const drills = await cli(['executions', '--env', 'dev', '--workflow', 'drill', '--output', 'json']);
    expect(JSON.parse(drills.stdout).map((r: { name: string }) => r.name)).toEqual(['d-new']);
  });

  it('info shows the restorable windows, snapshots, recovery points per vault and the last executions', async () => {
    execution('drill', 'weekly-9', { statuses: ['SUCCEEDED'] });
    const run = await cli(['info', '--env', 'dev']);
    expect(run.code).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(
      new RegExp(`primary ${REGION} \\(instance available\\): \\S+Z \\(Asia/Seoul [^)]+\\)  to  \\S+Z`),
    );
    expect(out).toMatch(new RegExp(`replicated ${DR}: \\S+Z \\(Asia/Seoul [^)]+\\)  to  \\S+Z .*\\[replicating\\]`));
    expect(out).toContain('rds:authdb-dev-2026-11-29-18-05  automated');
    expect(out).toContain(`vault authdb-dr-dev-primary (${REGION})`);
    expect(out).toContain(`arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:awsbackup:job-primary-1`);
    expect(out).toContain(`vault authdb-dr-dev-dr (${DR})`);
    expect(out).toContain(`arn:aws:rds:${DR}:${ACCOUNT}:snapshot:awsbackup:copyjob-dr-1`);
    expect(out).toMatch(/drill\s+weekly-9\s+SUCCEEDED/);
    const json = JSON.parse((await cli(['info', '--env', 'dev', '--output', 'json'])).stdout);
    expect(json.replicated.window.region).toBe(DR);
    expect(json.vaults.map((v: { name: string }) => v.name)).toEqual(['authdb-dr-dev-primary', 'authdb-dr-dev-dr']);
  });
});

describe('dry run: checks against the environment and AWS', () => {
  const restore = (...flags: string[]) => ['restore', 'start', '--env', 'dev', '--dry-run', ...flags];
  const psql = (date: Date) => {
    // psql's form in Asia/Seoul, minutes only: `2026-11-30 10:15+09`.
    const seoul = new Date(date.getTime() + 9 * HOUR).toISOString();
    return `${seoul.slice(0, 10)} ${seoul.slice(11, 16)}+09`;
  };

  it('a valid restore says which checks ran, offline and in AWS, and accepts psql time forms', async () => {
    const time = new Date(now().getTime() - 2 * HOUR);
    const run = await cli(restore('--source', 'authdb-dev', '--target', 'authdb-dev-restored-1', '--time', psql(time)));
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).input.restoreTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+09:00$/);
    expect(run.stderr).toContain('Checks against the configuration of the environment (offline):');
    expect(run.stderr).toContain('ok   sourceInstanceId is authdb-dev, the database of environment dev');
    expect(run.stderr).toContain('Checks in AWS (read-only calls):');
    expect(run.stderr).toMatch(/ok {3}restoreTime lies in the restorable window/);
    expect(run.stderr).toContain('ok   targetInstanceId authdb-dev-restored-1 is free');
    expect(standin.calls.map((c) => c.action)).not.toContain('StartExecution');
  });

  const wrong: [string, string[], RegExp][] = [
    [
      "another environment's source",
      restore('--source', 'authdb-prod', '--target', 'authdb-prod-restored-1', '--time', 'latest'),
      /sourceInstanceId = "authdb-prod"; allowed: authdb-dev, the database of environment dev \[--source\]/,
    ],
    [
      "another environment's automated snapshot",
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-1',
        '--snapshot',
        'rds:authdb-prod-2026-11-29-18-05',
      ),
      /snapshotIdentifier = "rds:authdb-prod-2026-11-29-18-05"; allowed: a snapshot of authdb-dev/,
    ],
    [
      "another account's recovery point",
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-1',
        '--recovery-point',
        `arn:aws:rds:${REGION}:999999999999:snapshot:awsbackup:job-1`,
      ),
      /recoveryPointArn = .*; allowed: an ARN in account \d{12}, region ap-northeast-2 \(environment dev\), not account 999999999999/,
    ],
    [
      'a time in the future',
      restore('--source', 'authdb-dev', '--target', 'authdb-dev-restored-1', '--time', '2099-01-01 00:00+09'),
      /restoreTime = "2099-01-01T00:00:00\+09:00" .*; allowed: a time in the past/,
    ],
    [
      'a time before the restorable window (AWS)',
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-1',
        '--time',
        psql(new Date(now().getTime() - 30 * HOUR)),
      ),
      /restoreTime = .*; allowed: a time in the restorable window of authdb-dev/,
    ],
    [
      'a snapshot of another instance (AWS)',
      restore('--source', 'authdb-dev', '--target', 'authdb-dev-restored-1', '--snapshot', 'before-migration'),
      /snapshotIdentifier = "before-migration"; allowed: a snapshot of authdb-dev, not of authdb-staging/,
    ],
    [
      'a recovery point that does not exist (AWS)',
      restore(
        '--source',
        'authdb-dev',
        '--target',
        'authdb-dev-restored-1',
        '--recovery-point',
        `arn:aws:rds:${REGION}:${ACCOUNT}:snapshot:awsbackup:job-missing`,
      ),
      /recoveryPointArn = .*; allowed: an existing snapshot of authdb-dev \(not found in ap-northeast-2\)/,
    ],
    [
      "a drill with another environment's snapshot",
      ['drill', 'start', '--env', 'dev', '--dry-run', '--snapshot', 'rds:authdb-staging-2026-11-29-18-05'],
      /snapshotIdentifier = "rds:authdb-staging-2026-11-29-18-05"; allowed: a snapshot of authdb-dev/,
    ],
  ];

  it.each(wrong)('%s: exit 2, nothing started', async (_label, args, message) => {
    const run = await cli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
    expect(standin.calls.map((c) => c.action)).not.toContain('StartExecution');
  });

  it("also refuses another environment's source without --dry-run, before calling AWS", async () => {
    const run = await cli([
      'restore',
      'start',
      '--env',
      'dev',
      '--source',
      'authdb-prod',
      '--target',
      'authdb-prod-restored-1',
      '--time',
      'latest',
    ]);
    expect(run.code).toBe(2);
    expect(standin.calls).toEqual([]);
  });
});

describe('runs where operators are', () => {
  it('--version prints the package version', async () => {
    const run = await cli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(require('../../package.json').version);
  });

  it('output into a closed pipe ends quietly', async () => {
    const run = await cli(['executions', '--env', 'dev', '--help'], undefined);
    expect(run.code).toBe(0);
    const closed = await new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'authdb-dr.cjs'), '--help'], { cwd: ROOT });
      let stderr = '';
      child.stdout.destroy();
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
      });
      child.on('close', (code, signal) => resolve({ code, signal, stdout: '', stderr }));
    });
    expect(closed.stderr).not.toContain('EPIPE');
    expect(closed.code).toBe(0);
  });
});

describe('tolerant of output shapes', () => {
  it('prints what it can from an output with fields missing or added, and says what it could not read', async () => {
    const e = execution('restore', 'r-odd');
    e.output = {
      plan: { targetInstanceId: 'authdb-dev-restored-9', futureField: { x: 1 } },
      somethingNew: true,
      target: 'oops',
    };
    const run = await cli(['status', '--env', 'dev', 'r-odd']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Unread output:\s+target: /);
    expect(run.stdout).toMatch(/Report:\s+restores\/dev\/\d{4}\/\d\d\/r-odd\.json/);
  });

  it('a network failure (nothing listening) is exit 3 too', async () => {
    const saved = endpoint;
    endpoint = 'http://127.0.0.1:9';
    try {
      const run = await cli(['executions', '--env', 'dev']);
      expect(run.code).toBe(3);
      expect(run.stderr).toMatch(/Could not list the restore executions for environment dev .*\n {2}\(network: /);
    } finally {
      endpoint = saved;
    }
  });

  it('npx --no -- authdb-dr runs the checkout without asking the registry', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('npx', ['--no', '--', 'authdb-dr', '--version'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, npm_config_offline: 'true' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(out.trim()).toBe(require('../../package.json').version);
  });
});
