import * as https from 'node:https';
import type { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import type pg from 'pg';
import { z } from 'zod';
import { parseInput } from '../../contract/errors.js';
import { connect, type DbEndpoint, type VerifiedTlsOptions } from '../shared/db.js';
import { ensureDumpRole } from '../shared/dump-role.js';
import { ensureVerifierRole } from '../shared/readonly-role.js';
import { ensureReplayControlRole } from '../shared/replay-control-role.js';
import { verifiedTableDefinition } from '../shared/verification-functions.js';

/** The PostgreSQL role name pattern the drill config also enforces. */
export const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Physical id of the custom resource: stable for one role, so Updates converge the same role in place. */
export const physicalIdOf = (role: string) => `verifier-role:${role}`;

/**
 * ResourceProperties of `Custom::VerifierRole`. CloudFormation passes every scalar as a string, so the port is
 * coerced; unknown keys (ServiceToken, and keys of an older or newer template during a rollback) are ignored.
 */
export const verifierRoleProperties = z.object({
  Role: z.string().regex(ROLE_NAME, { message: 'allowed: a lowercase PostgreSQL role name (^[a-z_][a-z0-9_]{0,62}$)' }),
  Database: z.string().regex(ROLE_NAME, { message: 'allowed: a lowercase PostgreSQL database name' }),
  Host: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, { message: 'allowed: a DNS name or IPv4 address' }),
  Port: z.coerce.number().int().min(1).max(65_535),
  SecretArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+$/, {
    message: 'allowed: a Secrets Manager secret ARN',
  }),
  /**
   * The role the function assumes to read the secret, for this request only. Absent only in the properties of a
   * template from before that role (an Update rolling back to it): see `handle`.
   */
  SecretReaderRoleArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[A-Za-z0-9/_+=,.@-]{1,64}$/, { message: 'allowed: an IAM role ARN' })
    .optional(),
  /** Put on the role's search_path. */
  Schemas: z.array(z.string()).default([]),
  /** The logical dump's read-only role, created beside the verifier's (lambda/shared/dump-role.ts). */
  DumpRole: z.string().regex(ROLE_NAME, { message: 'allowed: a lowercase PostgreSQL role name' }).optional(),
  /**
   * The verified tables (JSON text of the drill config's tables): what the verification functions may count and
   * digest. Absent in templates from before the functions: none.
   */
  Tables: z
    .string()
    .default('[]')
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'allowed: JSON text of a list of tables' });
        return z.NEVER;
      }
    })
    .pipe(z.array(verifiedTableDefinition)),
  /** The rewind workflow's replay-control role (only where a delayed replica exists); reaches it by replication. */
  ReplayControlRole: z.string().regex(ROLE_NAME, { message: 'allowed: a lowercase PostgreSQL role name' }).optional(),
  /** Only there to make CloudFormation send an Update; not used here. */
  Version: z.string().optional(),
});
export type VerifierRoleProperties = z.infer<typeof verifierRoleProperties>;

const envelope = z.object({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url({ protocol: /^https$/ }),
  StackId: z.string().min(1),
  RequestId: z.string().min(1),
  LogicalResourceId: z.string().min(1),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.unknown(),
});

/** The body CloudFormation expects at the pre-signed ResponseURL. */
export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** Temporary credentials of the secret-reader role's session (structurally the SDK's AwsCredentialIdentity). */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration?: Date;
}

export interface BootstrapDeps {
  /** Assumes the secret-reader role, once for each Create or Update. */
  sts: STSClient;
  /** A Secrets Manager client that signs with the reader role's session credentials. */
  secretsWith: (credentials: SessionCredentials) => SecretsManagerClient;
  /** Connects as the master user; see `masterConnection`. */
  connect: (endpoint: DbEndpoint, password: string) => Promise<pg.Client>;
  respond: (url: string, body: CustomResourceResponse) => Promise<void>;
  logger: Logger;
}

export interface BootstrapOptions {
  /** Milliseconds left before Lambda stops the function; FAILED is sent before then. @default - no deadline */
  remainingTimeMs?: () => number;
  /** Named in a failure's Reason so the operator finds the log. */
  logStreamName?: string;
  /**
   * Waits before each retry of an AssumeRole refused with AccessDenied: a reader role created in the same deploy
   * can take seconds to become assumable (IAM is eventually consistent). @default [2_000, 5_000, 10_000]
   */
  assumeRoleRetryDelaysMs?: readonly number[];
}

/** Time kept back from the Lambda timeout to send FAILED when the work hangs (a silent timeout hangs the stack). */
const RESPONSE_MARGIN_MS = 10_000;
/** CloudFormation rejects responses above 4 KiB. */
const MAX_REASON_CHARS = 1_000;

/**
 * Handles one `Custom::VerifierRole` request from CloudFormation: on Create and Update, assumes the secret-reader
 * role for a 15-minute session named after the request, reads the RDS-managed master secret with it, logs in as the
 * master user and creates or converges the drill verifier's read-only role; on Delete, does nothing (no role
 * assumed, no secret read). Always answers CloudFormation at ResponseURL, with the reason of a failure and never a secret.
 * Throws only when it cannot answer (no valid ResponseURL, or the PUT failed).
 */
export async function bootstrapVerifierRole(
  event: unknown,
  deps: BootstrapDeps,
  opts: BootstrapOptions = {},
): Promise<CustomResourceResponse> {
  const request = parseInput(envelope, event, 'CloudFormation custom resource event');
  // Secrets learnt while handling the request, removed from anything that leaves this function.
  const secrets: string[] = [];

  let response: CustomResourceResponse;
  try {
    const outcome = await withDeadline(handle(), opts.remainingTimeMs);
    response = { ...base('SUCCESS', outcome.physicalId), Data: outcome.data };
  } catch (error) {
    const message = redact((error as Error)?.message ?? String(error), secrets);
    deps.logger.error('verifier role bootstrap failed', { requestType: request.RequestType, reason: message });
    const where = opts.logStreamName ? ` (log stream ${opts.logStreamName})` : '';
    const reason = truncate(message, MAX_REASON_CHARS - where.length) + where;
    // A failed Update or Delete keeps the current id; a failed Create names the role it was asked for.
    const rawRole = (request.ResourceProperties as { Role?: unknown } | undefined)?.Role;
    const physicalId =
      request.PhysicalResourceId ??
      physicalIdOf(typeof rawRole === 'string' && ROLE_NAME.test(rawRole) ? rawRole : 'invalid');
    response = { ...base('FAILED', physicalId), Reason: reason };
  }
  // Belt and braces: nothing computed above should hold a secret, but the body is checked once more as a whole.
  const body = JSON.parse(redact(JSON.stringify(response), secrets)) as CustomResourceResponse;
  await deps.respond(request.ResponseURL, body);
  return body;

  function base(status: CustomResourceResponse['Status'], physicalId: string): CustomResourceResponse {
    return {
      Status: status,
      PhysicalResourceId: physicalId,
      StackId: request.StackId,
      RequestId: request.RequestId,
      LogicalResourceId: request.LogicalResourceId,
    };
  }

  async function handle(): Promise<{ physicalId: string; data: Record<string, string> }> {
    if (request.RequestType === 'Delete') {
      // The role is kept: dropping it could break a drill that is running, and a role that can only read is
      // harmless. Properties are not checked, so a stack with bad ones can still be deleted or rolled back.
      const physicalId = request.PhysicalResourceId ?? physicalIdOf('invalid');
      deps.logger.info('delete: keeping the verifier role', { physicalResourceId: physicalId });
      return { physicalId, data: {} };
    }
    const props = parseInput(verifierRoleProperties, request.ResourceProperties, 'Custom::VerifierRole properties');
    if (props.SecretReaderRoleArn === undefined) {
      if (request.RequestType === 'Update') {
        // A rollback to a template from before the reader role: that template's deploy converged the role, and this
        // function may no longer read the secret itself. Failing would leave the stack in UPDATE_ROLLBACK_FAILED.
        deps.logger.warn('update without SecretReaderRoleArn (rollback to an older template): nothing to do', {
          role: props.Role,
        });
        return { physicalId: physicalIdOf(props.Role), data: { Role: props.Role } };
      }
      throw new Error(
        'Invalid Custom::VerifierRole properties: SecretReaderRoleArn = missing; allowed: an IAM role ARN',
      );
    }
    const credentials = await assumeSecretReader(
      deps.sts,
      props.SecretReaderRoleArn,
      request.RequestId,
      opts.assumeRoleRetryDelaysMs ?? [2_000, 5_000, 10_000],
    );
    secrets.push(credentials.secretAccessKey, credentials.sessionToken);
    const reader = deps.secretsWith(credentials);
    let master: { username: string; password: string };
    try {
      master = await readMasterSecret(reader, props.SecretArn);
    } finally {
      reader.destroy();
    }
    secrets.push(master.password);
    const endpoint = { host: props.Host, port: props.Port, database: props.Database, user: master.username };
    const client = await deps.connect(endpoint, master.password);
    try {
      const state = await ensureVerifierRole(client, {
        role: props.Role,
        database: props.Database,
        schemas: props.Schemas,
        iamAuth: true,
        tables: props.Tables,
      });
      if (props.DumpRole)
        await ensureDumpRole(client, { role: props.DumpRole, database: props.Database, iamAuth: true });
      if (props.ReplayControlRole !== undefined) {
        await ensureReplayControlRole(client, {
          role: props.ReplayControlRole,
          database: props.Database,
          iamAuth: true,
        });
      }
      deps.logger.info('verifier role ensured', {
        requestType: request.RequestType,
        role: props.Role,
        host: props.Host,
        database: props.Database,
        ...state,
      });
      if (!state.rdsIamGranted) {
        deps.logger.warn('the server has no rds_iam role: the verifier cannot log in with IAM authentication', {
          role: props.Role,
          host: props.Host,
        });
      }
      // On Update a new role name is a new physical id: CloudFormation then sends Delete for the old one (kept).
      return {
        physicalId: physicalIdOf(props.Role),
        data: { Role: props.Role, Created: String(state.created), RdsIamGranted: String(state.rdsIamGranted) },
      };
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** The shortest session STS grants: the read takes a second, the session is useless afterwards. */
export const READER_SESSION_SECONDS = 900;

/** Session name of the reader role: the CloudFormation RequestId, so CloudTrail ties the read to one deployment. */
export function readerSessionName(requestId: string): string {
  // RoleSessionName allows [\w+=,.@-]{2,64}; CloudFormation's RequestId is a UUID.
  return `cfn-${requestId.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 64);
}

async function assumeSecretReader(
  sts: STSClient,
  roleArn: string,
  requestId: string,
  retryDelaysMs: readonly number[],
): Promise<SessionCredentials> {
  const sessionName = readerSessionName(requestId);
  const command = new AssumeRoleCommand({
    RoleArn: roleArn,
    RoleSessionName: sessionName,
    DurationSeconds: READER_SESSION_SECONDS,
  });
  let answer: AssumeRoleCommandOutput | undefined;
  for (let attempt = 0; answer === undefined; attempt++) {
    try {
      answer = await sts.send(command);
    } catch (error) {
      const delay = retryDelaysMs[attempt];
      if ((error as Error)?.name === 'AccessDenied' && delay !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        continue;
      }
      throw new Error(
        `Cannot assume the secret-reader role ${roleArn} (session ${sessionName}): ${(error as Error).message}`,
      );
    }
  }
  const parsed = sessionCredentials.safeParse(answer.Credentials);
  if (!parsed.success) {
    // Field names only: the values are credentials.
    throw new Error(`AssumeRole of ${roleArn} returned no usable credentials`);
  }
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = parsed.data;
  return {
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretAccessKey,
    sessionToken: SessionToken,
    ...(Expiration ? { expiration: Expiration } : {}),
  };
}

const sessionCredentials = z.object({
  AccessKeyId: z.string().min(1),
  SecretAccessKey: z.string().min(1),
  SessionToken: z.string().min(1),
  Expiration: z.date().optional(),
});

const masterSecret = z.object({ username: z.string().min(1), password: z.string().min(1) });

/** The RDS-managed master secret: JSON `{"username","password"}`. Errors name the secret, never its content. */
async function readMasterSecret(client: SecretsManagerClient, secretArn: string) {
  let text: string | undefined;
  try {
    const secret = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    text = secret.SecretString;
  } catch (error) {
    throw new Error(`Cannot read the master secret ${secretArn}: ${(error as Error).message}`);
  }
  if (text === undefined) {
    throw new Error(`The master secret ${secretArn} has no SecretString (RDS-managed secrets are JSON text)`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse quotes the text it failed on: its message must not be passed on.
    throw new Error(`The master secret ${secretArn} is not JSON; expected {"username","password"}`);
  }
  const parsed = masterSecret.safeParse(value);
  if (!parsed.success) {
    // Field names only: zod's own messages may quote the values.
    const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(secret)'))].join(', ');
    throw new Error(`The master secret ${secretArn} lacks a usable ${fields}; expected {"username","password"}`);
  }
  return parsed.data;
}

/**
 * Connects as the master user with the shared connection code. `ssl` chooses the TLS settings for a host: the
 * handler always verifies against the RDS CA bundle; only tests against a local server without TLS return
 * `undefined`.
 */
export function masterConnection(ssl: (host: string) => VerifiedTlsOptions | undefined): BootstrapDeps['connect'] {
  return (endpoint, password) =>
    connect(endpoint, async () => password, {
      ssl: ssl(endpoint.host),
      statementTimeoutMs: 30_000,
      applicationName: 'authdb-dr-verifier-role-bootstrap',
    });
}

/** Sends the response to CloudFormation's pre-signed S3 URL (a few attempts: a lost answer hangs the stack). */
export async function putResponse(
  url: string,
  body: CustomResourceResponse,
  opts: { ca?: string; attempts?: number; timeoutMs?: number } = {},
): Promise<void> {
  const payload = JSON.stringify(body);
  const attempts = opts.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await put(url, payload, opts);
      return;
    } catch (error) {
      if (attempt >= attempts) {
        // The URL is a credential for this one answer: not in the message.
        throw new Error(`Cannot send the response to CloudFormation: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

function put(url: string, payload: string, opts: { ca?: string; timeoutMs?: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'PUT',
        // The pre-signed URL was signed with an empty content type.
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(payload) },
        timeout: opts.timeoutMs ?? 10_000,
        ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`HTTP ${status}`));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function withDeadline<T>(work: Promise<T>, remainingTimeMs: (() => number) | undefined): Promise<T> {
  if (!remainingTimeMs) return work;
  const budget = Math.max(remainingTimeMs() - RESPONSE_MARGIN_MS, 0);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${Math.round(budget / 1000)} s creating the verifier role`)),
      budget,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret !== '') result = result.split(secret).join('***');
    // The same secret as it appears inside JSON text (quotes and backslashes escaped).
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && escaped !== '') result = result.split(escaped).join('***');
  }
  return result;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(max - 1, 0))}…`;
}
