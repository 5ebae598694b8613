import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../lambda/shared/observability.js';
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
let admin: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('authdb');
  admin = await server.client('authdb');
  mockReaderRole(stsMock);
  secretsMock
    .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
    .resolves({ SecretString: JSON.stringify({ username: 'postgres', password: 'unused-locally' }) });
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
  secretsMock.restore();
  stsMock.restore();
});

async function bootstrap(extra: Record<string, unknown>): Promise<CustomResourceResponse> {
  for (const stream of [process.stdout, process.stderr]) vi.spyOn(stream, 'write').mockImplementation(() => true);
  const responses: CustomResourceResponse[] = [];
  await bootstrapVerifierRole(
    {
      RequestType: 'Create',
      ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/x',
      StackId: 'arn:aws:cloudformation:ap-northeast-2:111111111111:stack/authdb-dr-dev-recovery/0a1b',
      RequestId: 'r1',
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
      respond: async (_url, body) => {
        responses.push(body);
      },
      logger: createLogger('bootstrap-dump-role-test'),
    },
  );
  vi.restoreAllMocks();
  return responses[0]!;
}

describe('the bootstrap also creates the logical dump role', () => {
  it('creates the read-only dump role beside the verifier when DumpRole is given', async () => {
    expect(await bootstrap({ DumpRole: 'authdb_dump' })).toMatchObject({ Status: 'SUCCESS' });
    const row = await admin.query(
      `SELECT r.rolconfig, ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                                  WHERE m.member = r.oid) AS member_of
         FROM pg_roles r WHERE r.rolname = 'authdb_dump'`,
    );
    expect(row.rows[0]).toEqual({ rolconfig: ['default_transaction_read_only=on'], member_of: ['pg_read_all_data'] });
  });

  it('refuses a malformed dump role name before connecting', async () => {
    const response = await bootstrap({ DumpRole: 'Dump; DROP' });
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain('DumpRole');
  });
});
