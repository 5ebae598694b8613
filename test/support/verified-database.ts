import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { ensureVerifierRole, type VerifierRoleOptions } from '../../lambda/shared/readonly-role.js';
import type { PostgresServer } from './postgres.js';
import type { ExecutionResult } from './state-machine.js';

/** The verifier role a test's databases carry, and the tables its counting functions cover. */
export interface VerifierSetup {
  role: string;
  tables: VerifierRoleOptions['tables'];
}

/**
 * Creates `database` from `sql` with what the bootstrap installs on the production database (restores, replicas and
 * snapshots carry it): the verifier role and its counting functions.
 */
export async function createVerifiedDatabase(
  server: PostgresServer,
  database: string,
  sql: string,
  verifier: VerifierSetup,
): Promise<void> {
  await server.createDatabase(database);
  await server.psql(sql, database);
  const admin = await server.client(database);
  await ensureVerifierRole(admin, {
    role: verifier.role,
    database,
    schemas: [],
    iamAuth: false,
    tables: verifier.tables,
  }).finally(() => admin.end());
}

/** The three tables of the authentication database, with rows stamped over the last hour (120, 150, 200 rows). */
export const AUTH_DATABASE_SQL = `
  CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, user_id bigint NOT NULL, platform text NOT NULL,
                                  oauth_token text NOT NULL, created_at timestamptz NOT NULL);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, user_id bigint, action text NOT NULL, created_at timestamptz NOT NULL);
  INSERT INTO users (email, password_hash, created_at)
    SELECT 'u' || i || '@example.com', '$argon2id$' || md5(i::text), now() - i * interval '1 minute' FROM generate_series(1, 120) i;
  INSERT INTO platform_accounts (user_id, platform, oauth_token, created_at)
    SELECT i % 120 + 1, 'steam', md5('t' || i), now() - i * interval '40 seconds' FROM generate_series(1, 150) i;
  INSERT INTO audit_logs (user_id, action, created_at)
    SELECT i % 120 + 1, 'login', now() - i * interval '15 seconds' FROM generate_series(1, 200) i;
`;

/** The drills' scratch instance: a fresh exact copy of `source` before each run, unless a test changes it. */
export async function copySourceToScratch(server: PostgresServer): Promise<void> {
  await server.psql('DROP DATABASE IF EXISTS scratch WITH (FORCE)');
  await server.psql('CREATE DATABASE scratch TEMPLATE source');
}

/** A Powertools-like metrics port that keeps the last value of each metric in `into`. */
export function recordedMetrics(into: () => Record<string, number>) {
  return {
    addMetric: (name: string, _unit: unknown, value: number) => {
      into()[name] = value;
    },
    publishStoredMetrics: () => {},
  };
}

/** The one JSON report a run wrote to S3 (under a key matching `key`, when given). */
export function writtenReport<T>(s3Mock: AwsClientStub<S3Client>, key?: RegExp): T {
  const calls = s3Mock.commandCalls(PutObjectCommand);
  expect(calls).toHaveLength(1);
  if (key) expect(calls[0]!.args[0].input.Key).toMatch(key);
  return JSON.parse(String(calls[0]!.args[0].input.Body)) as T;
}

/** No state's input or output carries the master secret, a password or a token. */
export function expectNoSecrets(result: ExecutionResult): void {
  expect(JSON.stringify(result.visits)).not.toMatch(/MasterUserSecret|rds!db|password|secretsmanager|token/i);
}
