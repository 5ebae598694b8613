import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { tlsOptions } from '../../lambda/shared/db.js';
import { createLogger } from '../../lambda/shared/observability.js';
import {
  type BootstrapDeps,
  bootstrapVerifierRole,
  type CustomResourceResponse,
  masterConnection,
  putResponse,
} from '../../lambda/verifier-role-bootstrap/bootstrap.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import {
  FUNCTION_CREDENTIALS,
  mockReaderRole,
  READER_ROLE_ARN,
  READER_SESSION,
  secretReaderDeps,
} from '../support/secret-reader.js';

const PASSWORD = 'Xq7"mZ\\p2-master-Pa55word';
const SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-2:111111111111:secret:rds!db-1234abcd-5678-AbCdEf';
const RESPONSE_URL =
  'https://cloudformation-custom-resource-response-apnortheast2.s3.ap-northeast-2.amazonaws.com/arn%3Aaws/x?X-Amz-Signature=abc';
const STACK_ID = 'arn:aws:cloudformation:ap-northeast-2:111111111111:stack/authdb-dr-dev-database/0a1b2c3d';

const secretsMock = mockClient(SecretsManagerClient);
const stsMock = mockClient(STSClient);
/** The access key that signed each GetSecretValue. */
let readBy: string[];
let server: PostgresServer;
let admin: pg.Client;
let responses: { url: string; body: CustomResourceResponse }[];
/** Everything written to stdout and stderr (the logger's output) while a test runs. */
let output: string[];

beforeAll(async () => {
  server = await startPostgres();
  await server.createDatabase('authdb');
  admin = await server.client('authdb');
});

afterAll(async () => {
  await admin?.end();
  await server?.stop();
});

beforeEach(() => {
  secretsMock.reset();
  stsMock.reset();
  mockReaderRole(stsMock);
  readBy = [];
  // Answers only a client signing with the reader role's session, as IAM does (the function's role has no grant).
  secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).callsFake(async (_input, getClient) => {
    const { accessKeyId } = await getClient().config.credentials();
    readBy.push(accessKeyId);
    if (accessKeyId !== READER_SESSION.AccessKeyId) throw new Error(`AccessDeniedException: ${accessKeyId}`);
    return { SecretString: JSON.stringify({ username: 'postgres', password: PASSWORD }) };
  });
  responses = [];
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
});

afterEach(() => {
  vi.restoreAllMocks();
  // Whatever happened in the test, the password left the function nowhere.
  const everything = [...output, ...responses.map((r) => JSON.stringify(r))].join('\n');
  expect(everything).not.toContain('master-Pa55word');
  expect(everything).not.toContain(READER_SESSION.SecretAccessKey);
  expect(everything).not.toContain(READER_SESSION.SessionToken);
});

function deps(overrides: Partial<BootstrapDeps> = {}): BootstrapDeps {
  return {
    ...secretReaderDeps(),
    // The local server has no TLS; the handler always passes verified TLS (tested below).
    connect: masterConnection(() => undefined),
    respond: async (url, body) => {
      responses.push({ url, body });
    },
    logger: createLogger('verifier-role-bootstrap-test'),
    ...overrides,
  };
}

function properties(overrides: Record<string, unknown> = {}) {
  return {
    ServiceToken: 'arn:aws:lambda:ap-northeast-2:111111111111:function:bootstrap',
    Role: 'authdb_verifier',
    Database: 'authdb',
    Host: server.host,
    // CloudFormation passes every scalar property as a string.
    Port: String(server.port),
    SecretArn: SECRET_ARN,
    SecretReaderRoleArn: READER_ROLE_ARN,
    Schemas: ['public'],
    Tables: JSON.stringify([{ name: 'users', timeColumn: 'created_at', tolerance: 0 }]),
    Version: '0123456789abcdef',
    ...overrides,
  };
}

let requests = 0;
function event(type: 'Create' | 'Update' | 'Delete', props: Record<string, unknown>, physicalId?: string) {
  requests += 1;
  return {
    RequestType: type,
    ServiceToken: props.ServiceToken,
    ResponseURL: RESPONSE_URL,
    StackId: STACK_ID,
    RequestId: `request-${requests}`,
    LogicalResourceId: 'VerifierRoleE1EF959F',
    ResourceType: 'Custom::VerifierRole',
    ResourceProperties: props,
    ...(physicalId === undefined ? {} : { PhysicalResourceId: physicalId }),
    ...(type === 'Update' ? { OldResourceProperties: props } : {}),
  };
}

async function roleRow(role: string) {
  const result = await admin.query(
    `SELECT r.rolcanlogin, r.rolsuper, r.rolconfig,
            ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
                   WHERE m.member = r.oid ORDER BY 1) AS member_of
       FROM pg_roles r WHERE r.rolname = $1`,
    [role],
  );
  return result.rows[0];
}

/** The single response sent, checked to echo the request's identifiers. */
function onlyResponse(request: ReturnType<typeof event>): CustomResourceResponse {
  expect(responses).toHaveLength(1);
  const [{ url, body }] = responses;
  expect(url).toBe(RESPONSE_URL);
  expect(body).toMatchObject({
    StackId: STACK_ID,
    RequestId: request.RequestId,
    LogicalResourceId: 'VerifierRoleE1EF959F',
  });
  responses = responses.slice(0, 1);
  return body;
}

describe('bootstrapVerifierRole against PostgreSQL 15', () => {
  it('Create: logs in with the master secret, creates the read-only role and answers SUCCESS', async () => {
    const request = event('Create', properties());
    await bootstrapVerifierRole(request, deps());

    expect(onlyResponse(request)).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'verifier-role:authdb_verifier',
      StackId: STACK_ID,
      RequestId: request.RequestId,
      LogicalResourceId: 'VerifierRoleE1EF959F',
      // The local server has no rds_iam role; RDS has.
      Data: { Role: 'authdb_verifier', Created: 'true', RdsIamGranted: 'false' },
    });
    expect(await roleRow('authdb_verifier')).toEqual({
      rolcanlogin: true,
      rolsuper: false,
      rolconfig: ['default_transaction_read_only=on', 'search_path=public'],
      // No pg_read_all_data: it counts and digests through the functions only.
      member_of: [],
    });
    const functions = await admin.query(
      `SELECT string_agg(p.proname, ',' ORDER BY p.proname) AS names FROM pg_proc p
         JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'authdb_verify' AND has_function_privilege('authdb_verifier', p.oid, 'EXECUTE')`,
    );
    expect(functions.rows[0].names).toBe('key_bounds,range_digest,row_digests,table_counts');
    // The secret was read once, signed with the reader role's session, which was asked for this request only.
    expect(stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input)).toEqual([
      { RoleArn: READER_ROLE_ARN, RoleSessionName: `cfn-${request.RequestId}`, DurationSeconds: 900 },
    ]);
    expect(readBy).toEqual([READER_SESSION.AccessKeyId]);
    const logged = output.join('');
    expect(logged).toContain('verifier role ensured');
    expect(logged).toContain('authdb_verifier');
    expect(logged).toContain(server.host);
  });

  it('Create again and Update converge the same role, with the same physical id, and grant rds_iam where it exists', async () => {
    await admin.query(`DO $$ BEGIN CREATE ROLE rds_iam NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`);
    const create = event('Create', properties({ Role: 'twice_verifier' }));
    await bootstrapVerifierRole(create, deps());
    expect(onlyResponse(create)).toMatchObject({ Status: 'SUCCESS', Data: { Created: 'true', RdsIamGranted: 'true' } });

    responses = [];
    const again = event('Create', properties({ Role: 'twice_verifier' }));
    await bootstrapVerifierRole(again, deps());
    expect(onlyResponse(again)).toMatchObject({ Status: 'SUCCESS', Data: { Created: 'false' } });

    responses = [];
    const update = event(
      'Update',
      properties({ Role: 'twice_verifier', Version: 'fedcba9876543210' }),
      'verifier-role:twice_verifier',
    );
    await bootstrapVerifierRole(update, deps());
    expect(onlyResponse(update)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'verifier-role:twice_verifier',
      Data: { Created: 'false', RdsIamGranted: 'true' },
    });
    expect((await roleRow('twice_verifier')).member_of).toEqual(['rds_iam']);
    // Each request its own session, named after it; every read signed by one.
    expect(stsMock.commandCalls(AssumeRoleCommand).map((call) => call.args[0].input.RoleSessionName)).toEqual([
      `cfn-${create.RequestId}`,
      `cfn-${again.RequestId}`,
      `cfn-${update.RequestId}`,
    ]);
    expect(readBy).toEqual(Array(3).fill(READER_SESSION.AccessKeyId));
    const count = await admin.query(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'twice_verifier'`);
    expect(count.rows[0].n).toBe(1);
  });

  it('Update to another role name answers with the new physical id (CloudFormation then deletes the old one)', async () => {
    const update = event('Update', properties({ Role: 'renamed_verifier' }), 'verifier-role:authdb_verifier');
    await bootstrapVerifierRole(update, deps());
    expect(onlyResponse(update)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'verifier-role:renamed_verifier',
    });
    expect(await roleRow('renamed_verifier')).toBeDefined();
  });

  it('Delete answers SUCCESS and keeps the role, without reading the secret or connecting', async () => {
    await bootstrapVerifierRole(event('Create', properties({ Role: 'kept_verifier' })), deps());
    responses = [];
    const connect = vi.fn(masterConnection(() => undefined));
    const request = event('Delete', properties({ Role: 'kept_verifier' }), 'verifier-role:kept_verifier');
    secretsMock.resetHistory();
    stsMock.resetHistory();
    await bootstrapVerifierRole(request, deps({ connect }));

    expect(onlyResponse(request)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'verifier-role:kept_verifier',
    });
    expect(await roleRow('kept_verifier')).toBeDefined();
    expect(connect).not.toHaveBeenCalled();
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('Update with the properties of a template from before the reader role (a rollback): SUCCESS, nothing read', async () => {
    const connect = vi.fn(masterConnection(() => undefined));
    const request = event(
      'Update',
      properties({ SecretReaderRoleArn: undefined, Role: 'rollback_verifier' }),
      'verifier-role:rollback_verifier',
    );
    await bootstrapVerifierRole(request, deps({ connect }));
    expect(onlyResponse(request)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'verifier-role:rollback_verifier',
      Data: { Role: 'rollback_verifier' },
    });
    expect(connect).not.toHaveBeenCalled();
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(output.join('')).toContain('update without SecretReaderRoleArn');
  });

  it('Delete with invalid properties still answers SUCCESS, so the stack can roll back or be deleted', async () => {
    const request = event('Delete', properties({ Role: 'Not A Role', Port: 'x' }), 'verifier-role:invalid');
    await bootstrapVerifierRole(request, deps());
    expect(onlyResponse(request)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'verifier-role:invalid' });
  });
});

describe('bootstrapVerifierRole failures answer FAILED with a reason and no secret', () => {
  it('invalid properties: names each field and its value', async () => {
    const request = event('Create', properties({ Role: 'Verifier-Role', Port: 'five', SecretArn: undefined }));
    await bootstrapVerifierRole(request, deps());
    const body = onlyResponse(request);
    expect(body.Status).toBe('FAILED');
    expect(body.PhysicalResourceId).toBe('verifier-role:invalid');
    expect(body.Reason).toMatch(/Role = "Verifier-Role"; allowed: a lowercase PostgreSQL role name/);
    expect(body.Reason).toMatch(/Port = "five"/);
    expect(body.Reason).toMatch(/SecretArn = missing/);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('invalid Tables: FAILED naming the field, before the secret is read', async () => {
    for (const tables of ['not json', JSON.stringify([{ timeColumn: 'created_at' }])]) {
      responses = [];
      const request = event('Create', properties({ Tables: tables }));
      await bootstrapVerifierRole(request, deps());
      const body = onlyResponse(request);
      expect(body.Status).toBe('FAILED');
      expect(body.Reason).toMatch(/Tables/);
    }
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('AssumeRole refused: FAILED naming the role and the session, without reading the secret', async () => {
    stsMock.on(AssumeRoleCommand).rejects(
      Object.assign(
        new Error(`User: ${FUNCTION_CREDENTIALS.accessKeyId} is not authorized to perform: sts:AssumeRole`),
        {
          name: 'AccessDenied',
        },
      ),
    );
    const request = event('Create', properties({ Role: 'noassume_verifier' }));
    await bootstrapVerifierRole(request, deps(), { assumeRoleRetryDelaysMs: [0, 0] });
    const body = onlyResponse(request);
    // Refused three times (a new role's trust can take seconds to apply), then FAILED.
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(3);
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'verifier-role:noassume_verifier' });
    expect(body.Reason).toBe(
      `Cannot assume the secret-reader role ${READER_ROLE_ARN} (session cfn-${request.RequestId}): ` +
        `User: ${FUNCTION_CREDENTIALS.accessKeyId} is not authorized to perform: sts:AssumeRole`,
    );
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(output.join('')).toContain('Cannot assume the secret-reader role');
    expect(await roleRow('noassume_verifier')).toBeUndefined();
  });

  it('AssumeRole refused once (a reader role created in the same deploy, not yet propagated): retried, then SUCCESS', async () => {
    stsMock
      .on(AssumeRoleCommand)
      .rejectsOnce(Object.assign(new Error('not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' }))
      .resolves({ Credentials: READER_SESSION });
    const request = event('Create', properties({ Role: 'retry_verifier' }));
    await bootstrapVerifierRole(request, deps(), { assumeRoleRetryDelaysMs: [0] });
    expect(onlyResponse(request)).toMatchObject({ Status: 'SUCCESS' });
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    expect(readBy).toEqual([READER_SESSION.AccessKeyId]);
  });

  it('AssumeRole without usable credentials: FAILED without quoting what it returned', async () => {
    stsMock.on(AssumeRoleCommand).resolves({ Credentials: { ...READER_SESSION, SessionToken: undefined } });
    const request = event('Create', properties());
    await bootstrapVerifierRole(request, deps());
    const body = onlyResponse(request);
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toBe(`AssumeRole of ${READER_ROLE_ARN} returned no usable credentials`);
    expect(readBy).toEqual([]);
  });

  it('Create without SecretReaderRoleArn: FAILED naming the field, nothing assumed or read', async () => {
    const request = event('Create', properties({ SecretReaderRoleArn: undefined }));
    await bootstrapVerifierRole(request, deps());
    expect(onlyResponse(request)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/SecretReaderRoleArn = missing; allowed: an IAM role ARN/),
    });
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(0);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('an error quoting the session credentials is redacted in the response and the log', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(new Error(`bad token ${READER_SESSION.SessionToken}`));
    const request = event('Create', properties());
    await bootstrapVerifierRole(request, deps());
    expect(onlyResponse(request).Reason).toBe(`Cannot read the master secret ${SECRET_ARN}: bad token ***`);
  });

  it('secret not found: FAILED naming the secret', async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(
        new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }),
      );
    const request = event('Create', properties({ Role: 'nosecret_verifier' }));
    await bootstrapVerifierRole(request, deps());
    const body = onlyResponse(request);
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'verifier-role:nosecret_verifier' });
    expect(body.Reason).toBe(
      `Cannot read the master secret ${SECRET_ARN}: Secrets Manager can't find the specified secret.`,
    );
    expect(await roleRow('nosecret_verifier')).toBeUndefined();
  });

  it('a secret that is not the expected JSON: FAILED without quoting it', async () => {
    for (const SecretString of [
      `{"username":"postgres","password":"${PASSWORD}`,
      JSON.stringify({ password: PASSWORD }),
    ]) {
      secretsMock.on(GetSecretValueCommand).resolves({ SecretString });
      responses = [];
      const request = event('Create', properties());
      await bootstrapVerifierRole(request, deps());
      const body = onlyResponse(request);
      expect(body.Status).toBe('FAILED');
      expect(body.Reason).toMatch(/^The master secret arn:.* (is not JSON|lacks a usable username);/);
      expect(body.Reason).not.toContain('Pa55word');
    }
  });

  it('connection refused: FAILED naming host and port; a failed Update keeps its physical id', async () => {
    const request = event('Update', properties({ Port: '1' }), 'verifier-role:authdb_verifier');
    await bootstrapVerifierRole(request, deps());
    const body = onlyResponse(request);
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'verifier-role:authdb_verifier' });
    expect(body.Reason).toMatch(/^Cannot connect to authdb on 127\.0\.0\.1:1 as postgres: .*ECONNREFUSED/);
    expect(output.join('')).toContain('verifier role bootstrap failed');
  });

  it('an error message that quotes the password is redacted in the response and the log', async () => {
    const connect: BootstrapDeps['connect'] = async (_endpoint, password) => {
      throw new Error(`driver said: bad password "${password}" (${JSON.stringify(password)})`);
    };
    const request = event('Create', properties());
    await bootstrapVerifierRole(request, deps({ connect }));
    const body = onlyResponse(request);
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toBe('driver said: bad password "***" ("***")');
    expect(output.join('')).toContain('driver said: bad password');
  });

  it('SQL that fails in the database: FAILED with PostgreSQL’s message', async () => {
    await admin.query('CREATE ROLE super_verifier SUPERUSER');
    const request = event('Create', properties({ Role: 'super_verifier' }));
    await bootstrapVerifierRole(request, deps());
    expect(onlyResponse(request)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/already exists with SUPERUSER, REPLICATION or BYPASSRLS/),
    });
  });

  it('work that hangs: FAILED before Lambda would stop the function, with the log stream named', async () => {
    const connect: BootstrapDeps['connect'] = () => new Promise(() => {});
    const request = event('Create', properties());
    await bootstrapVerifierRole(request, deps({ connect }), {
      remainingTimeMs: () => 10_050,
      logStreamName: '2026/01/01/[$LATEST]abc',
    });
    expect(onlyResponse(request)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(
        /^Timed out after 0 s creating the verifier role \(log stream 2026\/01\/01\/\[\$LATEST\]abc\)$/,
      ),
    });
  });

  it('an event without a usable ResponseURL cannot be answered: it throws', async () => {
    const request = { ...event('Create', properties()), ResponseURL: 'http://example.com/' };
    await expect(bootstrapVerifierRole(request, deps())).rejects.toThrow(/ResponseURL/);
    expect(responses).toEqual([]);
  });

  it('a response that cannot be sent makes the invocation fail (CloudFormation then times out, visibly)', async () => {
    const respond = async () => {
      throw new Error('Cannot send the response to CloudFormation: HTTP 403');
    };
    await expect(bootstrapVerifierRole(event('Create', properties()), deps({ respond }))).rejects.toThrow(/HTTP 403/);
  });
});

describe('TLS and the response PUT', () => {
  let dir: string;
  let https: Server;
  let ca: string;
  let received: { method?: string; headers: Record<string, unknown>; body: string }[];
  let statuses: number[];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'authdb-bootstrap-tls-'));
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
        ...[
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          path.join(dir, 'key.pem'),
          '-out',
          path.join(dir, 'cert.pem'),
        ],
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    https = createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: ca }, (req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        received.push({ method: req.method, headers: req.headers, body });
        res.statusCode = statuses.shift() ?? 200;
        res.end();
      });
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => https?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    received = [];
    statuses = [];
  });

  const url = () => `https://127.0.0.1:${(https.address() as AddressInfo).port}/response?X-Amz-Signature=abc`;
  const body: CustomResourceResponse = {
    Status: 'SUCCESS',
    PhysicalResourceId: 'verifier-role:authdb_verifier',
    StackId: STACK_ID,
    RequestId: 'r',
    LogicalResourceId: 'L',
  };

  it('PUTs the JSON body with an empty content type (what the pre-signed URL was signed with)', async () => {
    await putResponse(url(), body, { ca });
    expect(received).toHaveLength(1);
    expect(received[0].method).toBe('PUT');
    expect(received[0].headers['content-type']).toBe('');
    expect(JSON.parse(received[0].body)).toEqual(body);
  });

  it('retries a failed PUT, and fails without quoting the URL after the last attempt', async () => {
    statuses = [500, 200];
    await putResponse(url(), body, { ca });
    expect(received).toHaveLength(2);

    statuses = [403, 403];
    received = [];
    const error = await putResponse(url(), body, { ca, attempts: 2 }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Cannot send the response to CloudFormation: HTTP 403');
  });

  it('refuses an unverified certificate (no CA given)', async () => {
    await expect(putResponse(url(), body, { attempts: 1 })).rejects.toThrow(/self[- ]signed|certificate/);
    expect(received).toEqual([]);
  });

  it('connects to PostgreSQL only over verified TLS when given tlsOptions: a server without TLS is refused', async () => {
    const connect = masterConnection((host) => tlsOptions(path.join(dir, 'cert.pem'), host));
    await expect(connect(server.endpoint('authdb'), PASSWORD)).rejects.toThrow(/does not support SSL/);
  });
});
