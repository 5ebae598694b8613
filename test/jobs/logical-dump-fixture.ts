import { randomBytes } from 'node:crypto';
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import type { PostgresServer } from '../support/postgres.js';

/** The seed's three tables plus one with bytea and a large text column. */
export const SCHEMA = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL,
                      created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id),
                      platform text NOT NULL, oauth_token text, created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, user_id bigint, action text NOT NULL,
                      created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE attachments (id bigserial PRIMARY KEY, content bytea NOT NULL, body text NOT NULL);`;

/** A password hash the tests look for in the stored bytes: it must never appear there. */
export const SECRET_MARKER = '$argon2id$v=19$m=65536,t=3,p=4$MARKER';

export async function seed(server: PostgresServer, database: string, scale = 1): Promise<void> {
  await server.psql(SCHEMA, database);
  await server.psql(
    `INSERT INTO users (email, password_hash) SELECT 'u' || i || '@example.com', '${SECRET_MARKER}' || i
       FROM generate_series(1, ${200 * scale}) i;
     INSERT INTO platform_accounts (user_id, platform, oauth_token)
       SELECT i % ${200 * scale} + 1, 'steam', md5(i::text) FROM generate_series(1, ${300 * scale}) i;
     INSERT INTO audit_logs (user_id, action) SELECT i % 50, 'login' FROM generate_series(1, ${500 * scale}) i;
     INSERT INTO attachments (content, body)
       SELECT decode(repeat(md5(i::text), 64), 'hex'), repeat('large text ' || i, 100000)
         FROM generate_series(1, ${3 * scale}) i;`,
    database,
  );
}

export function rawKeyring(name = 'test-key', key = randomBytes(32)) {
  return new RawAesKeyringNode({
    keyName: name,
    keyNamespace: 'authdb-dr-tests',
    unencryptedMasterKey: key,
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
}
