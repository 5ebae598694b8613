import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/*
 * A local stand-in for the parts of Step Functions, RDS and AWS Backup the operator CLI calls, over HTTP, so the
 * built CLI runs as operators run it (a child process, the real SDK, AWS_ENDPOINT_URL pointing here). Step Functions
 * speaks JSON 1.0 (X-Amz-Target), RDS awsQuery (form body, XML answers), AWS Backup REST-JSON; the service and
 * region come from the SigV4 credential scope; CloudWatch GetMetricData speaks JSON 1.0 too. Read-only calls plus
 * StartExecution; anything else answers 400 so a test notices a call it did not expect.
 */

export interface StandinExecution {
  stateMachine: string;
  name: string;
  region: string;
  account: string;
  startDate: Date;
  /** Statuses returned by successive DescribeExecution calls; the last one repeats. */
  statuses: string[];
  /** Seconds from the start to the stop, once a terminal status is returned. */
  durationSeconds?: number;
  output?: unknown;
  error?: string;
  cause?: string;
  /** Entered state names, oldest first (one is added to the history per DescribeExecution). */
  states?: string[];
  describes?: number;
}

export interface StandinInstance {
  id: string;
  region: string;
  status: string;
  latestRestorableTime?: Date;
  earliestRestorableTime?: Date;
  /** A read replica's source (ReadReplicaSourceDBInstanceIdentifier) and its "read replication" status info. */
  replicaSource?: string;
  replicationStatus?: string;
}

export interface StandinSnapshot {
  id: string;
  region: string;
  account: string;
  instanceId: string;
  createdAt: Date;
  status: string;
  type: 'automated' | 'manual' | 'awsbackup';
}

export interface StandinRecoveryPoint {
  vault: string;
  region: string;
  arn: string;
  createdAt: Date;
  status: string;
}

export interface StandinCall {
  service: string;
  region: string;
  action: string;
  params: Record<string, unknown>;
}

export interface StandinState {
  executions: StandinExecution[];
  instances: StandinInstance[];
  snapshots: StandinSnapshot[];
  recoveryPoints: StandinRecoveryPoint[];
  /** Replicated automated backups in the DR region: the source id and its window. */
  replicated: { region: string; instanceId: string; sourceRegion: string; earliest: Date; latest: Date }[];
  /** After this many Step Functions calls, every call fails with this error code (e.g. ExpiredTokenException). */
  sfnFailure?: { afterCalls: number; code: string; status: number };
  /** Template of executions StartExecution creates. */
  started?: Omit<StandinExecution, 'name' | 'stateMachine' | 'region' | 'account' | 'startDate'>;
  /** CloudWatch datapoints GetMetricData answers from (per region, metric and exact dimensions). */
  metrics?: StandinMetric[];
}

export interface StandinMetric {
  region: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
  points: { at: Date; value: number }[];
}

const epoch = (date: Date) => date.getTime() / 1000;
const xmlEscape = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function xml(fields: Record<string, string | Date | undefined>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${xmlEscape(v instanceof Date ? v.toISOString() : String(v))}</${k}>`)
    .join('');
}

export class AwsStandin {
  readonly calls: StandinCall[] = [];
  private server?: Server;
  /** Step Functions calls so far (sfnFailure counts from here; reset between tests). */
  sfnCalls = 0;

  constructor(readonly state: StandinState) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        try {
          this.handle(req, body, res);
        } catch (error) {
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) }));
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The calls of one service's action, in order. */
  callsOf(action: string): StandinCall[] {
    return this.calls.filter((c) => c.action === action);
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): unknown {
    const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '');
    const [, region = '', service = ''] = scope ?? [];
    if (service === 'states') return this.sfn(region, String(req.headers['x-amz-target'] ?? ''), body, res);
    if (service === 'rds') return this.rds(region, new URLSearchParams(body), res);
    if (service === 'backup') return this.backup(region, req.method ?? 'GET', req.url ?? '/', res);
    if (service === 'monitoring') return this.cloudwatch(region, String(req.headers['x-amz-target'] ?? ''), body, res);
    return res.writeHead(400).end(`unknown service ${service}`);
  }

  // ---- Step Functions (JSON 1.0)
  private sfn(region: string, target: string, body: string, res: ServerResponse): unknown {
    const action = target.replace('AWSStepFunctions.', '');
    const params = JSON.parse(body || '{}') as Record<string, unknown>;
    this.calls.push({ service: 'states', region, action, params });
    const json = (status: number, value: unknown, type?: string) =>
      res
        .writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          ...(type ? { 'x-amzn-errortype': type } : {}),
        })
        .end(JSON.stringify(value));
    this.sfnCalls += 1;
    const failure = this.state.sfnFailure;
    if (failure && this.sfnCalls > failure.afterCalls) {
      return json(failure.status, { __type: failure.code, message: `stand-in: ${failure.code}` }, failure.code);
    }
    const find = (arn: unknown) => this.state.executions.find((e) => this.executionArn(e) === arn);
    switch (action) {
      case 'StartExecution': {
        const smArn = String(params.stateMachineArn);
        const [, , , execRegion = '', account = '', , stateMachine = ''] = smArn.split(':');
        const execution: StandinExecution = {
          statuses: ['RUNNING'],
          ...this.state.started,
          stateMachine,
          region: execRegion,
          account,
          name: String(params.name ?? `generated-${this.state.executions.length + 1}`),
          startDate: new Date(),
        };
        this.state.executions.push(execution);
        return json(200, { executionArn: this.executionArn(execution), startDate: epoch(execution.startDate) });
      }
      case 'DescribeExecution': {
        const e = find(params.executionArn);
        if (!e) return json(400, { message: 'Execution does not exist' }, 'ExecutionDoesNotExist');
        e.describes = (e.describes ?? 0) + 1;
        const status = e.statuses[Math.min(e.describes, e.statuses.length) - 1]!;
        return json(200, this.describe(e, status));
      }
      case 'GetExecutionHistory': {
        const e = find(params.executionArn);
        if (!e) return json(400, { message: 'Execution does not exist' }, 'ExecutionDoesNotExist');
        const entered = (e.states ?? []).slice(0, Math.max(1, e.describes ?? 1));
        const events = [
          { id: 1, type: 'ExecutionStarted', timestamp: epoch(e.startDate) },
          ...entered.map((name, i) => ({
            id: i + 2,
            previousEventId: i + 1,
            type: 'TaskStateEntered',
            timestamp: epoch(e.startDate) + (i + 1) * 60,
            stateEnteredEventDetails: { name },
          })),
        ];
        return json(200, { events: params.reverseOrder ? events.reverse() : events });
      }
      case 'ListExecutions': {
        const items = this.state.executions
          .filter((e) => this.stateMachineArn(e) === params.stateMachineArn)
          .sort((a, b) => b.startDate.getTime() - a.startDate.getTime())
          .slice(0, Number(params.maxResults ?? 100))
          .map((e) => {
            const d = this.describe(e, e.statuses.at(-1)!);
            return {
              executionArn: d.executionArn,
              stateMachineArn: d.stateMachineArn,
              name: d.name,
              status: d.status,
              startDate: d.startDate,
              ...(d.stopDate ? { stopDate: d.stopDate } : {}),
            };
          });
        return json(200, { executions: items });
      }
      default:
        return json(400, { message: `stand-in does not serve ${action}` }, 'InvalidAction');
    }
  }

  private stateMachineArn(e: StandinExecution): string {
    return `arn:aws:states:${e.region}:${e.account}:stateMachine:${e.stateMachine}`;
  }

  private executionArn(e: StandinExecution): string {
    return `arn:aws:states:${e.region}:${e.account}:execution:${e.stateMachine}:${e.name}`;
  }

  private describe(e: StandinExecution, status: string) {
    const ended = status !== 'RUNNING';
    return {
      executionArn: this.executionArn(e),
      stateMachineArn: this.stateMachineArn(e),
      name: e.name,
      status,
      startDate: epoch(e.startDate),
      ...(ended ? { stopDate: epoch(e.startDate) + (e.durationSeconds ?? 600) } : {}),
      ...(ended && status === 'SUCCEEDED' && e.output !== undefined ? { output: JSON.stringify(e.output) } : {}),
      ...(ended && e.error ? { error: e.error } : {}),
      ...(ended && e.cause ? { cause: e.cause } : {}),
    };
  }

  // ---- RDS (awsQuery)
  private rds(region: string, form: URLSearchParams, res: ServerResponse): unknown {
    const action = form.get('Action') ?? '';
    const params = Object.fromEntries(form.entries());
    this.calls.push({ service: 'rds', region, action, params });
    const ok = (inner: string) =>
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<${action}Response xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><${action}Result>${inner}</${action}Result>` +
            `<ResponseMetadata><RequestId>standin</RequestId></ResponseMetadata></${action}Response>`,
        );
    const fault = (code: string, message: string) =>
      res
        .writeHead(404, { 'content-type': 'text/xml' })
        .end(
          `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>${code}</Code>` +
            `<Message>${xmlEscape(message)}</Message></Error><RequestId>standin</RequestId></ErrorResponse>`,
        );
    switch (action) {
      case 'DescribeDBInstances': {
        const id = form.get('DBInstanceIdentifier');
        const found = this.state.instances.filter((i) => i.region === region && (!id || i.id === id));
        if (id && found.length === 0) return fault('DBInstanceNotFound', `DBInstance ${id} not found.`);
        const items = found.map(
          (i) =>
            `<DBInstance>${xml({ DBInstanceIdentifier: i.id, DBInstanceStatus: i.status, LatestRestorableTime: i.latestRestorableTime, ReadReplicaSourceDBInstanceIdentifier: i.replicaSource })}` +
            (i.replicationStatus
              ? `<StatusInfos><DBInstanceStatusInfo>${xml({ StatusType: 'read replication', Normal: String(i.replicationStatus === 'replicating'), Status: i.replicationStatus })}</DBInstanceStatusInfo></StatusInfos>`
              : '') +
            '</DBInstance>',
        );
        return ok(`<DBInstances>${items.join('')}</DBInstances>`);
      }
      case 'DescribeDBInstanceAutomatedBackups': {
        const id = form.get('DBInstanceIdentifier');
        const own = this.state.instances
          .filter((i) => i.region === region && i.id === id && i.earliestRestorableTime)
          .map((i) => ({
            id: i.id,
            sourceRegion: region,
            earliest: i.earliestRestorableTime!,
            latest: i.latestRestorableTime,
          }));
        const replicated = this.state.replicated.filter((r) => r.region === region && r.instanceId === id);
        const items = [
          ...own.map((b) => ({ ...b, latest: b.latest ?? new Date() })),
          ...replicated.map((r) => ({
            id: r.instanceId,
            sourceRegion: r.sourceRegion,
            earliest: r.earliest,
            latest: r.latest,
          })),
        ].map(
          (b) =>
            `<DBInstanceAutomatedBackup>${xml({ DBInstanceIdentifier: b.id, Region: b.sourceRegion, Status: region === b.sourceRegion ? 'active' : 'replicating' })}` +
            `<RestoreWindow>${xml({ EarliestTime: b.earliest, LatestTime: b.latest })}</RestoreWindow></DBInstanceAutomatedBackup>`,
        );
        return ok(`<DBInstanceAutomatedBackups>${items.join('')}</DBInstanceAutomatedBackups>`);
      }
      case 'DescribeDBSnapshots': {
        const id = form.get('DBSnapshotIdentifier');
        const instance = form.get('DBInstanceIdentifier');
        const arn = (s: StandinSnapshot) => `arn:aws:rds:${s.region}:${s.account}:snapshot:${s.id}`;
        const found = this.state.snapshots.filter(
          (s) =>
            s.region === region &&
            (!id || s.id === id || arn(s) === id) &&
            (!instance || s.instanceId === instance) &&
            (id || instance ? true : s.type !== 'awsbackup'),
        );
        if (id && found.length === 0) return fault('DBSnapshotNotFound', `DBSnapshot ${id} not found.`);
        const items = found.map(
          (s) =>
            `<DBSnapshot>${xml({
              DBSnapshotIdentifier: s.id,
              DBInstanceIdentifier: s.instanceId,
              SnapshotCreateTime: s.createdAt,
              Status: s.status,
              SnapshotType: s.type,
              DBSnapshotArn: arn(s),
            })}</DBSnapshot>`,
        );
        return ok(`<DBSnapshots>${items.join('')}</DBSnapshots>`);
      }
      default:
        return fault('InvalidAction', `stand-in does not serve ${action}`);
    }
  }

  // ---- CloudWatch (JSON 1.0): GetMetricData, newest first, points inside [StartTime, EndTime)
  private cloudwatch(region: string, target: string, body: string, res: ServerResponse): unknown {
    const action = target.replace('GraniteServiceVersion20100801.', '');
    const params = JSON.parse(body || '{}') as {
      StartTime?: number;
      EndTime?: number;
      MetricDataQueries?: {
        Id: string;
        MetricStat: {
          Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
        };
      }[];
    };
    this.calls.push({ service: 'monitoring', region, action, params });
    const json = (status: number, value: unknown, type?: string) =>
      res
        .writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          ...(type ? { 'x-amzn-errortype': type } : {}),
        })
        .end(JSON.stringify(value));
    if (action !== 'GetMetricData') return json(400, { message: `stand-in does not serve ${action}` }, 'InvalidAction');
    const from = (params.StartTime ?? 0) * 1000;
    const to = (params.EndTime ?? Number.MAX_SAFE_INTEGER / 1000) * 1000;
    const results = (params.MetricDataQueries ?? []).map((q) => {
      const m = q.MetricStat.Metric;
      const wanted = Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const metric = (this.state.metrics ?? []).find(
        (x) =>
          x.region === region &&
          x.namespace === m.Namespace &&
          x.metricName === m.MetricName &&
          JSON.stringify(Object.entries(x.dimensions).sort()) === JSON.stringify(Object.entries(wanted).sort()),
      );
      const points = (metric?.points ?? [])
        .filter((p) => p.at.getTime() >= from && p.at.getTime() < to)
        .sort((a, b) => b.at.getTime() - a.at.getTime());
      return {
        Id: q.Id,
        Label: m.MetricName,
        StatusCode: 'Complete',
        Timestamps: points.map((p) => epoch(p.at)),
        Values: points.map((p) => p.value),
      };
    });
    return json(200, { MetricDataResults: results, Messages: [] });
  }

  // ---- AWS Backup (REST-JSON)
  private backup(region: string, method: string, url: string, res: ServerResponse): unknown {
    const path = new URL(url, 'http://standin').pathname;
    const match = /^\/backup-vaults\/([^/]+)\/recovery-points\/?$/.exec(path);
    const action = match && method === 'GET' ? 'ListRecoveryPointsByBackupVault' : `${method} ${path}`;
    this.calls.push({ service: 'backup', region, action, params: { path } });
    const json = (status: number, value: unknown, type?: string) =>
      res
        .writeHead(status, { 'content-type': 'application/json', ...(type ? { 'x-amzn-errortype': type } : {}) })
        .end(JSON.stringify(value));
    if (!match) return json(400, { Message: `stand-in does not serve ${action}` }, 'InvalidParameterValueException');
    const vault = decodeURIComponent(match[1]!);
    const points = this.state.recoveryPoints.filter((p) => p.region === region && p.vault === vault);
    if (points.length === 0 && !this.state.recoveryPoints.some((p) => p.vault === vault)) {
      return json(404, { Message: `Backup vault ${vault} not found` }, 'ResourceNotFoundException');
    }
    return json(200, {
      RecoveryPoints: points.map((p) => ({
        RecoveryPointArn: p.arn,
        BackupVaultName: p.vault,
        CreationDate: epoch(p.createdAt),
        Status: p.status,
        ResourceType: 'RDS',
      })),
    });
  }
}
