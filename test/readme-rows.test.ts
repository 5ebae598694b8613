import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresServer, startPostgres } from './support/postgres.js';

const run = promisify(execFile);
const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

/** The bash block after `<!-- rows-copy -->`: the README's commands for moving rows between instances. */
function rowsCopyBlock(): string {
  const match = /<!-- rows-copy -->\s*```bash\n([\s\S]*?)```/.exec(README);
  if (!match) throw new Error('README has no <!-- rows-copy --> bash block');
  return match[1]!;
}

const SCHEMA = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, platform text NOT NULL);`;

let pg: PostgresServer;

beforeAll(async () => {
  pg = await startPostgres();
  for (const db of ['restored', 'production']) {
    await pg.createDatabase(db);
    await pg.psql(SCHEMA, db);
  }
  // The restored instance has the rows as they were; production lost 1000-1002, changed 1003, and has no
  // platform accounts left.
  await pg.psql(
    `INSERT INTO users (id, email) SELECT i, 'user' || i || '@example.com' FROM generate_series(995, 1005) i;
     INSERT INTO platform_accounts (user_id, platform) VALUES (1000, 'steam'), (1001, 'psn'), (1002, 'xbox');`,
    'restored',
  );
  await pg.psql(
    `INSERT INTO users (id, email) SELECT i, 'user' || i || '@example.com' FROM generate_series(995, 999) i;
     INSERT INTO users (id, email) VALUES (1003, 'changed@example.com'), (1004, 'user1004@example.com'),
       (1005, 'user1005@example.com'), (2500, 'new@example.com');`,
    'production',
  );
});

afterAll(async () => {
  await pg?.stop();
});

describe('README: moving rows between instances', () => {
  it('copies the missing rows back, keeps the rows production has, and loads a whole table', async () => {
    const conn = (db: string) => `host=${pg.host} port=${pg.port} user=${pg.user} dbname=${db}`;
    await run('bash', ['-euo', 'pipefail', '-c', rowsCopyBlock()], {
      cwd: mkdtempSync(path.join(tmpdir(), 'authdb-dr-rows-')),
      env: { PATH: `${pg.binDir}:${process.env.PATH}`, FROM: conn('restored'), TO: conn('production') },
    });
    const users = await pg.psql('SELECT id, email FROM users WHERE id BETWEEN 1000 AND 2999 ORDER BY id', 'production');
    expect(users.split('\n')).toEqual([
      '1000|user1000@example.com',
      '1001|user1001@example.com',
      '1002|user1002@example.com',
      '1003|changed@example.com',
      '1004|user1004@example.com',
      '1005|user1005@example.com',
      '2500|new@example.com',
    ]);
    expect(await pg.psql('SELECT user_id, platform FROM platform_accounts ORDER BY user_id', 'production')).toBe(
      '1000|steam\n1001|psn\n1002|xbox',
    );
  });
});
