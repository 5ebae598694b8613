import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import type { LocalRds } from './local-rds.js';
import { RDS_NAMESPACE } from './local-rds.js';
import { QueryParams, queryError, queryResponse, ServiceError, serviceOf, type XmlObject } from './protocol.js';

const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface Execution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: Date;
}

export interface Published {
  topicArn: string;
  subject?: string;
  message: string;
}

export interface AwsStandInOptions {
  rds: LocalRds;
  /** S3 objects are written to `<objectsDir>/<bucket>/<key>`. */
  objectsDir: string;
  buckets: string[];
  topics: string[];
  /** Secrets Manager: ARN -> SecretString. */
  secrets?: Record<string, string>;
  /**
   * STS AssumeRole: the roles that may be assumed. When given, secrets are returned only to requests signed with
   * the access key of a session of one of them (as the bootstrap's reader role).
   */
  secretReaderRoles?: string[];
}

export interface AssumedSession {
  roleArn: string;
  sessionName: string;
  durationSeconds?: number;
  accessKeyId: string;
}

/**
 * The AWS APIs the drill's Lambdas call, over HTTP on 127.0.0.1, for SDK clients pointed here with
 * AWS_ENDPOINT_URL: RDS (LocalRds), SNS Publish, S3 PutObject (path-style, written to a local folder),
 * Step Functions ListExecutions, Secrets Manager GetSecretValue and STS AssumeRole. The service is taken from the SigV4 credential
 * scope; signatures are not checked.
 */
export class AwsStandIn {
  readonly executions: Execution[] = [];
  readonly published: Published[] = [];
  /** Keys written, as `bucket/key`. */
  readonly objects: string[] = [];
  /** Sessions issued by AssumeRole. */
  readonly sessions: AssumedSession[] = [];
  private server?: Server;
  private url?: string;

  constructor(private readonly opts: AwsStandInOptions) {}

  get endpoint(): string {
    if (!this.url) throw new Error('The AWS stand-in is not started');
    return this.url;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String((error as Error)?.message ?? error));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const service = serviceOf(req.headers.authorization);
    switch (service) {
      case 'rds':
        return this.query(res, RDS_NAMESPACE, body, (params) => this.opts.rds.handle(params));
      case 'sns':
        return this.query(res, SNS_NAMESPACE, body, async (params) => this.publish(params));
      case 's3':
        return this.s3(req, res, body);
      case 'states':
        return this.json(res, req, body, '1.0', (action, input) => this.stepFunctions(action, input));
      case 'secretsmanager':
        return this.json(res, req, body, '1.1', (action, input) =>
          this.secretsManager(action, input, accessKeyOf(req.headers.authorization)),
        );
      case 'sts':
        return this.query(res, STS_NAMESPACE, body, async (params) => this.assumeRole(params));
      default:
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`The local AWS stand-in does not serve ${service ?? 'unsigned requests'}`);
    }
  }

  private async query(
    res: ServerResponse,
    namespace: string,
    body: Buffer,
    handle: (params: QueryParams) => Promise<XmlObject>,
  ): Promise<void> {
    const params = new QueryParams(body.toString('utf8'));
    try {
      const result = await handle(params);
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(queryResponse(namespace, params.action, result));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      res.writeHead(error.status, { 'content-type': 'text/xml' });
      res.end(queryError(namespace, error));
    }
  }

  private async json(
    res: ServerResponse,
    req: IncomingMessage,
    body: Buffer,
    version: '1.0' | '1.1',
    handle: (action: string, input: Record<string, unknown>) => unknown,
  ): Promise<void> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.slice(target.indexOf('.') + 1);
    const contentType = `application/x-amz-json-${version}`;
    try {
      const input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
      const output = handle(action, input);
      res.writeHead(200, { 'content-type': contentType });
      res.end(JSON.stringify(output));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      res.writeHead(error.status, { 'content-type': contentType, 'x-amzn-errortype': error.code });
      res.end(JSON.stringify({ __type: error.code, message: error.message }));
    }
  }

  private publish(params: QueryParams): XmlObject {
    if (params.action !== 'Publish') {
      throw new ServiceError('InvalidAction', `The local SNS stand-in does not implement ${params.action}`);
    }
    const topicArn = params.required('TopicArn');
    if (!this.opts.topics.includes(topicArn)) {
      throw new ServiceError('NotFound', 'Topic does not exist', 404);
    }
    this.published.push({ topicArn, subject: params.get('Subject'), message: params.required('Message') });
    return { MessageId: randomUUID() };
  }

  private stepFunctions(action: string, input: Record<string, unknown>) {
    if (action !== 'ListExecutions') {
      throw new ServiceError(
        'UnknownOperationException',
        `The local Step Functions stand-in does not implement ${action}`,
      );
    }
    const found = this.executions.filter(
      (e) => e.stateMachineArn === input.stateMachineArn && (!input.statusFilter || e.status === input.statusFilter),
    );
    return {
      executions: found.map((e) => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate.getTime() / 1000,
      })),
    };
  }

  private assumeRole(params: QueryParams): XmlObject {
    if (params.action !== 'AssumeRole') {
      throw new ServiceError('InvalidAction', `The local STS stand-in does not implement ${params.action}`);
    }
    const roleArn = params.required('RoleArn');
    if (!this.opts.secretReaderRoles?.includes(roleArn)) {
      throw new ServiceError('AccessDenied', `Not authorized to perform sts:AssumeRole on ${roleArn}`, 403);
    }
    const accessKeyId = `ASIALOCAL${this.sessions.length}`;
    const duration = params.get('DurationSeconds');
    const sessionName = params.required('RoleSessionName');
    this.sessions.push({
      roleArn,
      sessionName,
      ...(duration === undefined ? {} : { durationSeconds: Number(duration) }),
      accessKeyId,
    });
    return {
      Credentials: {
        AccessKeyId: accessKeyId,
        SecretAccessKey: 'local-session-not-a-secret',
        SessionToken: 'local-session-token',
        Expiration: new Date(Date.now() + Number(duration ?? 3600) * 1000),
      },
      AssumedRoleUser: {
        Arn: `${roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${sessionName}`,
      },
    };
  }

  private secretsManager(action: string, input: Record<string, unknown>, accessKeyId: string | undefined) {
    if (action !== 'GetSecretValue') {
      throw new ServiceError(
        'UnknownOperationException',
        `The local Secrets Manager stand-in does not implement ${action}`,
      );
    }
    if (this.opts.secretReaderRoles && !this.sessions.some((s) => s.accessKeyId === accessKeyId)) {
      throw new ServiceError('AccessDeniedException', `${accessKeyId} may not read secrets`, 400);
    }
    const id = String(input.SecretId);
    const secret = this.opts.secrets?.[id];
    if (secret === undefined) {
      throw new ServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    }
    return { ARN: id, Name: id.split(':').pop(), SecretString: secret, VersionId: 'local' };
  }

  private async s3(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const error = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
      );
    };
    if (req.method !== 'PUT' || key === '') return error(501, 'NotImplemented', 'Only PutObject is served');
    if (!this.opts.buckets.includes(bucket)) return error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const target = normalize(join(this.opts.objectsDir, bucket, key));
    if (!target.startsWith(`${normalize(join(this.opts.objectsDir, bucket))}/`)) {
      return error(400, 'InvalidArgument', 'Invalid object key');
    }
    await mkdir(dirname(target), { recursive: true });
    const chunked = String(req.headers['content-encoding'] ?? '').includes('aws-chunked');
    await writeFile(target, chunked ? decodeAwsChunked(body) : body);
    this.objects.push(`${bucket}/${key}`);
    res.writeHead(200, { etag: `"${randomUUID()}"` });
    res.end();
  }
}

/** The access key id of a SigV4 `Authorization` header. */
function accessKeyOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/]+)\//.exec(authorization ?? '')?.[1];
}

/** `aws-chunked` bodies (streaming uploads with trailing checksums): `<hex size>[;ext]\r\n<data>\r\n`, until size 0. */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) throw new ServiceError('InvalidArgument', 'Malformed aws-chunked body');
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isInteger(size)) throw new ServiceError('InvalidArgument', 'Malformed aws-chunked body');
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
