import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throwaway PostgreSQL 15 on 127.0.0.1 (trust auth, no TLS: nothing leaves the task) to prove a dump restores. */
export interface ScratchPostgres {
  host: '127.0.0.1';
  port: number;
  user: 'postgres';
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** initdb and postgres refuse root: as root (tests), run them as the postgres OS user. */
async function asPostgres(command: string, args: string[]): Promise<void> {
  const root = userInfo().uid === 0;
  try {
    await run(root ? 'runuser' : command, root ? ['-u', 'postgres', '--', command, ...args] : args);
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} failed: ${e.stderr?.trim() || e.message}`);
  }
}

export async function startScratchPostgres(binDir: string): Promise<ScratchPostgres> {
  const root = await mkdtemp(join(tmpdir(), 'logical-dump-pg-'));
  await chmod(root, 0o777);
  const data = join(root, 'data');
  const port = await freePort();
  try {
    await asPostgres(join(binDir, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
    ]);
    const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
    await asPostgres(join(binDir, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      join(root, 'log'),
      '-w',
      '-t',
      '60',
      '-o',
      options,
      'start',
    ]);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    stop: async () => {
      await asPostgres(join(binDir, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(root, { recursive: true, force: true });
    },
  };
}
