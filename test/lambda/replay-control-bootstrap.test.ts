import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lambda/shared/observability.js';
import { REPLAY_CONTROL_FUNCTIONS } from '../../lambda/shared/replay-control-role.js';
import {
  bootstrapVerifierRole,
  type CustomResourceResponse,
  masterConnection,
} from '../../lambda/verifier-role-bootstrap/bootstrap.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { mockReaderRole, READER_ROLE_ARN, secretReaderDeps } from '../support/secret-reader.js';

const SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:rds!db-1234abcd-5678-AbCdEf';
const secretsMock = mockClient(SecretsManagerClient);
const stsMock = mockClient(STSClient);
let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('authdb');
  mockReaderRole(stsMock);
  secretsMock
    .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
    .resolves({ SecretString: JSON.stringify({ username: 'postgres', password: 'unused-locally' }) });
});

afterAll(async () => {
  secretsMock.restore();
  stsMock.restore();
  await server?.stop();
});

async function bootstrap(extra: Record<string, unknown>): Promise<CustomResourceResponse> {
  return bootstrapVerifierRole(
    {
      RequestType: 'Create',
      ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/x',
      StackId: 'arn:aws:cloudformation:ap-northeast-2:111111111111:stack/authdb-dr-prod-recovery/1',
      RequestId: 'r-1',
      LogicalResourceId: 'VerifierRole',
      ResourceProperties: {
        Role: 'authdb_verifier',
        Database: 'authdb',
        Host: server.host,
        Port: String(server.port),
        SecretArn: SECRET_ARN,
        SecretReaderRoleArn: READER_ROLE_ARN,
        ...extra,
      },
    },
    {
      ...secretReaderDeps(),
      connect: masterConnection(() => undefined),
      respond: async () => {},
      logger: createLogger('replay-control-bootstrap-test'),
    },
  );
}

// Function privileges live in each database's catalog: the grants are in the database the role connects to.
const canExecute = (role: string, fn: string) =>
  server.psql(`SELECT has_function_privilege('${role}', 'pg_catalog.${fn}', 'EXECUTE')`, 'authdb');

describe('the bootstrap creates the replay-control role where a delayed replica exists', () => {
  it('without ReplayControlRole: no such role', async () => {
    expect((await bootstrap({})).Status).toBe('SUCCESS');
    expect(await server.psql(`SELECT count(*) FROM pg_roles WHERE rolname = 'authdb_replay_control'`)).toBe('0');
  });

  it('with ReplayControlRole: a login role that may execute the replay functions and read no table', async () => {
    expect((await bootstrap({ ReplayControlRole: 'authdb_replay_control' })).Status).toBe('SUCCESS');
    for (const fn of REPLAY_CONTROL_FUNCTIONS) expect(await canExecute('authdb_replay_control', fn)).toBe('t');
    expect(await canExecute('authdb_replay_control', 'pg_promote(boolean, integer)')).toBe('f');
    expect(
      await server.psql(`SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = 'authdb_replay_control'`),
    ).toBe('t|f');
    await server.psql('CREATE TABLE users (id int)', 'authdb');
    expect(await server.psql(`SELECT has_table_privilege('authdb_replay_control', 'users', 'SELECT')`, 'authdb')).toBe(
      'f',
    );
  });

  it('refuses a malformed role name before connecting', async () => {
    const response = await bootstrap({ ReplayControlRole: 'Replay-Control' });
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(
      'ReplayControlRole = "Replay-Control"; allowed: a lowercase PostgreSQL role name',
    );
  });
});
