import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI (bin/authdb-dr.cjs) as a child process, as operators run it, with the real AWS SDK pointed at
 * `endpoint` (a stand-in) and a fresh HOME; `onStdout` sees the output as it arrives (to send Ctrl-C mid-watch).
 */
export function runBuiltCli(
  endpoint: string,
  args: string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<CliRun> {
  const home = mkdtempSync(path.join(tmpdir(), 'authdb-dr-cli-'));
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'authdb-dr.cjs'), ...args], {
    cwd: home,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'AKIASTANDIN',
      AWS_SECRET_ACCESS_KEY: 'standin',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    onStdout?.(stdout, child);
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}
