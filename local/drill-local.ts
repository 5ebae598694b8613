import '../test/setup.js'; // Promise.withResolvers for aws-local-stepfunctions on Node.js 20
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { z } from 'zod';
import type { DrillReport } from '../lambda/drill-report/report.js';
import { connect, tlsOptions } from '../lambda/shared/db.js';
import { minutes } from '../lambda/shared/reporting.js';
import {
  bootstrapVerifierRole,
  masterConnection,
  type SessionCredentials,
} from '../lambda/verifier-role-bootstrap/bootstrap.js';
import { type PostgresServer, startPostgres } from '../test/support/postgres.js';
import { ACCOUNT, type ExecutionResult, REGION, runExecution } from '../test/support/state-machine.js';
import { CloudAssembly, type DrillDefinition } from './cloud-assembly.js';
import { LocalFunction } from './local-functions.js';
import { createTlsMaterial, loadSampleData, prepareSource, startTraffic } from './source-database.js';
import { AwsStandIn, type Execution } from './stand-in/aws-stand-in.js';
import { LocalRds, type RestoreFault } from './stand-in/local-rds.js';

export const BREAK_MODES = ['lost-rows', 'bad-status', 'api-error'] as const;
export type BreakMode = (typeof BREAK_MODES)[number];

export interface LocalDrillOptions {
  /** The environment whose synthesized drill runs. @default 'dev' */
  environment?: string;
  /** Rows in each of the three tables. */
  rows: number;
  keep?: boolean;
  break?: BreakMode;
  /** @default 'cdk.out' */
  cdkOut?: string;
  /** Reports (what the report function writes to S3) and function logs. @default '.drill-local' */
  outDir?: string;
  /** Every Wait state of the definition, locally. @default 1000 */
  waitMs?: number;
  /** How often the source's WAL is archived (RDS: about every 5 minutes). @default 3000 */
  shipIntervalMs?: number;
  /** Progress lines. @default console.log */
  print?: (line: string) => void;
}

export interface KeptCluster {
  instanceId: string;
  host: '127.0.0.1';
  port: number;
  dataDir: string;
  database: string;
  verifierUser: string;
  caPath: string;
  /** Removes what --keep left: stop the cluster, then delete this folder. */
  runDir: string;
  stopCommand: string;
}

export interface LocalDrillResult {
  status: ExecutionResult['status'];
  error?: string;
  cause?: string;
  report?: DrillReport;
  reportPath?: string;
  /** The summary the report function sent to the alert topic (the e-mail in AWS). */
  summary?: string;
  executionName: string;
  /** Where this run's clusters lived; gone after the run (but what `kept` names). */
  runDir: string;
  kept?: KeptCluster;
}

/** Phases as a reader of the drill follows them, by Task state. */
const PHASES: Record<string, string> = {
  Preflight: 'preflight',
  CountSource: 'count source at C',
  CheckSourceRestorable: 'wait for WAL to reach C',
  RequestRestore: 'request restore',
  CheckScratch: 'restoring',
  Verify: 'verify',
  Cleanup: 'cleanup',
  Report: 'report',
};

const instanceStatusSchema = z.object({ status: z.string() }).loose();

/**
 * A DR drill on this machine: a local PostgreSQL 15 source (WAL archiving, base backup, sample data, the verifier
 * role from the project's bootstrap code), the synthesized drill state machine run by aws-local-stepfunctions with
 * each Task bound to its bundled Lambda, and the AWS APIs those call served by a local stand-in that performs real
 * point-in-time restores. Removes everything it started (but the report, and with `keep` the restored cluster).
 */
export async function runLocalDrill(opts: LocalDrillOptions): Promise<LocalDrillResult> {
  const print = opts.print ?? ((line: string) => console.log(line));
  const environment = opts.environment ?? 'dev';
  const outDir = resolve(opts.outDir ?? '.drill-local');
  const started = Date.now();
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const executionName = `local-${stamp}-${randomBytes(3).toString('hex')}`;
  const clock = () => {
    const s = Math.round((Date.now() - started) / 1000);
    return `[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}]`;
  };
  const say = (line: string) => print(`${clock()} ${line}`);

  let sourcePort = 0;
  const assembly = new CloudAssembly(resolve(opts.cdkOut ?? 'cdk.out'), (ref) => {
    if (ref.resource.Type !== 'AWS::RDS::DBInstance' || ref.attribute === undefined) return undefined;
    if (ref.attribute === 'Endpoint.Address') return '127.0.0.1';
    if (ref.attribute === 'Endpoint.Port') return String(sourcePort);
    if (ref.attribute === 'MasterUserSecret.SecretArn') {
      return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:rds!db-local-${ref.logicalId.toLowerCase()}`;
    }
    return undefined;
  });
  const stackPrefix = `authdb-dr-${environment}-`;
  // Checked before anything starts: a missing bundle or unresolvable reference fails here.
  const drill: DrillDefinition = assembly.drill(environment);
  // The source is the instance the drill's preflight is configured with.
  const sourceId = drill.tasks.Preflight?.environment.SOURCE_INSTANCE_ID;
  const database = assembly.findResource(
    stackPrefix,
    'AWS::RDS::DBInstance',
    (r) => r.Properties.DBInstanceIdentifier === sourceId,
  );
  const db = z
    .object({
      DBInstanceIdentifier: z.string(),
      DBName: z.string(),
      MasterUsername: z.string(),
      DBInstanceClass: z.string(),
      DeletionProtection: z.boolean().default(false),
    })
    .loose()
    .parse(database.resource.Properties);
  const tables = z
    .array(z.object({ name: z.string(), timeColumn: z.string().optional() }).loose())
    .parse(JSON.parse(drill.tasks.CountSource?.environment.TABLES ?? '[]'));
  const settleSeconds = Number(drill.tasks.CountSource?.environment.SETTLE_SECONDS ?? 300);
  const fault = faultFor(opts.break, tables, opts.rows);
  const rtoTargetSeconds = Number(drill.tasks.Report?.environment.RTO_TARGET_SECONDS ?? 900);

  // Everything this run starts lives under runDir: one folder to remove, also on Ctrl-C.
  const runDir = mkdtempSync(join(tmpdir(), 'authdb-dr-drill-local-'));
  chmodSync(runDir, 0o755); // the postgres OS user reaches its clusters' folders through it
  const logDir = join(outDir, 'logs', executionName);
  await mkdir(logDir, { recursive: true });
  const functions: LocalFunction[] = [];
  let source: PostgresServer | undefined;
  let rds: LocalRds | undefined;
  let standIn: AwsStandIn | undefined;
  let stopTraffic: (() => Promise<void>) | undefined;
  let keptDataDir: string | undefined;
  let keepOnStop: ((kept: { id: string; server: PostgresServer }) => void) | undefined;

  const removeSync = () => {
    for (const fn of functions) fn.killNow();
    if (!keptDataDir) rmSync(runDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    print(`\n${signal}: stopping the local drill and removing what it started`);
    // test/support/postgres.ts stops its clusters on exit; the functions and runDir go here.
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  let hooked = false;
  const hook = () => {
    if (hooked) return;
    hooked = true;
    // Registered after the first cluster started, so these run after postgres.ts has stopped the clusters.
    process.on('exit', removeSync);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  };

  try {
    const tls = await createTlsMaterial(join(runDir, 'tls'));
    say(
      `starting the source: PostgreSQL 15 with WAL archiving (${environment}: ${db.DBInstanceIdentifier}) in ${runDir}`,
    );
    source = await startPostgres({ archive: true, walSegmentMb: 1, parentDir: runDir });
    hook();
    sourcePort = source.port;
    const masterPassword = randomBytes(18).toString('base64url');
    await prepareSource(source, {
      tls,
      databaseName: db.DBName,
      masterUsername: db.MasterUsername,
      masterPassword,
    });
    const asMaster = () =>
      connect(
        { host: '127.0.0.1', port: source!.port, database: db.DBName, user: db.MasterUsername },
        async () => masterPassword,
        { ssl: tlsOptions(tls.caPath, '127.0.0.1'), statementTimeoutMs: 600_000 },
      );
    const loader = await asMaster();
    try {
      say(`loading ${opts.rows} rows into each of users, platform_accounts, audit_logs`);
      await loadSampleData(loader, opts.rows, settleSeconds + 60);
    } finally {
      await loader.end();
    }

    const baseBackupDir = await source.baseBackup();
    const baseBackupAt = new Date();
    await source.switchWalAndWaitForArchive();
    say('base backup taken; WAL archiving continues');

    rds = new LocalRds({
      region: REGION,
      account: ACCOUNT,
      parentDir: runDir,
      shipIntervalMs: opts.shipIntervalMs,
      fault,
      keepDeleted: opts.keep,
      onEvent: (message) => say(`  rds: ${message}`),
    });
    rds.addSource({
      id: db.DBInstanceIdentifier,
      server: source,
      baseBackupDir,
      baseBackupAt,
      databaseName: db.DBName,
      masterUsername: db.MasterUsername,
      instanceClass: db.DBInstanceClass,
      deletionProtection: db.DeletionProtection,
    });
    const report = drill.tasks.Report?.environment ?? {};
    const verifierRole = assembly.findResource(stackPrefix, 'Custom::VerifierRole');
    const roleProps = z
      .record(z.string(), z.unknown())
      .parse(assembly.resolve(verifierRole.stack, verifierRole.resource.Properties));
    const secretArn = String(roleProps.SecretArn);
    standIn = new AwsStandIn({
      rds,
      objectsDir: join(outDir, 's3'),
      buckets: report.REPORT_BUCKET ? [report.REPORT_BUCKET] : [],
      topics: report.ALERT_TOPIC_ARN ? [report.ALERT_TOPIC_ARN] : [],
      secrets: { [secretArn]: JSON.stringify({ username: db.MasterUsername, password: masterPassword }) },
      secretReaderRoles: [String(roleProps.SecretReaderRoleArn)],
    });
    const endpoint = await standIn.start();
    say(`AWS stand-in on ${endpoint} (RDS, SNS, S3, Step Functions, Secrets Manager, STS)`);

    await bootstrapVerifier(roleProps, endpoint, tls.caPath, verifierRole.stack);
    say(`verifier role ${String(roleProps.Role)} created by the project's bootstrap code`);

    const env = {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'AKIALOCALDRILL',
      AWS_SECRET_ACCESS_KEY: 'local-drill-not-a-secret',
      AWS_ENDPOINT_URL: endpoint,
      // The verifier trusts the throwaway CA the way it trusts the RDS bundle in AWS: from a CA file.
      CA_BUNDLE_PATH: tls.caPath,
    };
    const byLogicalId = new Map<string, LocalFunction>();
    for (const fn of Object.values(drill.tasks)) {
      if (byLogicalId.has(fn.logicalId)) continue;
      const local = new LocalFunction(fn, env, join(logDir, `${fn.logicalId}.log`));
      byLogicalId.set(fn.logicalId, local);
      functions.push(local);
    }

    const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${drill.stateMachineName}`;
    const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${drill.stateMachineName}:${executionName}`;
    const startTime = new Date();
    const execution: Execution = {
      executionArn,
      stateMachineArn,
      name: executionName,
      status: 'RUNNING',
      startDate: startTime,
    };
    standIn.executions.push(execution);
    stopTraffic = startTraffic(source, db.DBName);

    let phase = '';
    let restoreRequestedAt: number | undefined;
    let lastStatus = '';
    const rto = () =>
      restoreRequestedAt === undefined
        ? ''
        : `  (RTO ${minutes((Date.now() - restoreRequestedAt) / 1000)} of ${minutes(rtoTargetSeconds)})`;
    const ticker = setInterval(() => say(`… ${phase}${rto()}`), 10_000);
    const handlers = Object.fromEntries(
      Object.entries(drill.tasks).map(([state, fn]) => [
        state,
        async (input: unknown) => {
          const name = PHASES[state] ?? state;
          if (state === 'RequestRestore') restoreRequestedAt = Date.now();
          if (name !== phase) {
            phase = name;
            say(`${name}${rto()}`);
          }
          const output = await byLogicalId.get(fn.logicalId)!.invoke(input);
          if (state === 'CheckScratch' || state === 'CheckSourceRestorable') {
            const status = instanceStatusSchema.safeParse(output);
            const text = status.success
              ? `${state === 'CheckScratch' ? 'scratch' : 'source'} ${status.data.status}`
              : '';
            if (text && text !== lastStatus) say(`  ${text}${rto()}`);
            lastStatus = text;
          }
          return output;
        },
      ]),
    );
    say(`running ${drill.stateMachineName} (from ${relative(process.cwd(), assembly.dir) || '.'}) as ${executionName}`);
    let result: ExecutionResult;
    try {
      result = await runExecution(
        drill.definition,
        {},
        {
          executionName,
          startTime: startTime.toISOString(),
          stateMachineName: drill.stateMachineName,
          handlers,
          waitMs: opts.waitMs ?? 1000,
          retryMs: opts.waitMs ?? 1000,
        },
      );
    } finally {
      clearInterval(ticker);
    }
    execution.status = result.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
    await stopTraffic();
    stopTraffic = undefined;

    const key = standIn.objects.find((o) => o.includes('/drills/'));
    const reportPath = key ? join(outDir, 's3', key) : undefined;
    const drillReport =
      reportPath && existsSync(reportPath) ? (JSON.parse(readFileSync(reportPath, 'utf8')) as DrillReport) : undefined;
    const outcome: LocalDrillResult = {
      status: result.status,
      error: result.error,
      cause: result.cause,
      report: drillReport,
      reportPath,
      summary: standIn.published.at(-1)?.message,
      executionName,
      runDir,
    };
    keepOnStop = (kept) => {
      keptDataDir = kept.server.dataDir;
      const pgCtl = join(kept.server.binDir, 'pg_ctl');
      const asPostgres = userInfo().uid === 0 ? 'runuser -u postgres -- ' : '';
      outcome.kept = {
        instanceId: kept.id,
        host: '127.0.0.1',
        port: kept.server.port,
        dataDir: kept.server.dataDir,
        database: db.DBName,
        verifierUser: String(roleProps.Role),
        caPath: tls.caPath,
        runDir,
        stopCommand: `${asPostgres}${pgCtl} -D ${kept.server.dataDir} -m fast stop && rm -rf ${runDir}`,
      };
    };
    return outcome;
  } finally {
    await stopTraffic?.();
    await Promise.all(functions.map((fn) => fn.stop()));
    await standIn?.stop();
    await rds?.stop();
    const kept = rds?.keptServer();
    if (kept && keepOnStop) keepOnStop(kept);
    else await kept?.server.stop(); // the drill did not get as far as reporting: nothing to show
    await source?.stop();
    if (keptDataDir) {
      // Keep the restored cluster and the CA that signs its certificate; the rest goes.
      for (const entry of readdirSync(join(runDir, 'tls')).filter((name) => name !== 'ca.pem')) {
        rmSync(join(runDir, 'tls', entry), { force: true });
      }
    } else {
      rmSync(runDir, { recursive: true, force: true });
    }
    if (hooked) {
      process.off('exit', removeSync);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

function faultFor(
  mode: BreakMode | undefined,
  tables: { name: string; timeColumn?: string }[],
  rows: number,
): RestoreFault | undefined {
  if (mode === undefined) return undefined;
  if (mode !== 'lost-rows') return { kind: mode };
  // The last verified table: the one that grows fastest in production (audit_logs).
  const table = tables.at(-1);
  if (!table) throw new Error('--break lost-rows needs a verified table in the drill configuration');
  return { kind: 'lost-rows', table: table.name, timeColumn: table.timeColumn, rows: Math.max(1, Math.min(5, rows)) };
}

/**
 * Creates the verifier's role in the source the way deployment does: the project's bootstrap logic with the custom
 * resource's properties from the template, the master secret from (the stand-in's) Secrets Manager, TLS verified.
 */
async function bootstrapVerifier(
  properties: Record<string, unknown>,
  endpoint: string,
  caPath: string,
  stack: string,
): Promise<void> {
  let answer: { Status: string; Reason?: string } | undefined;
  const sts = new STSClient({
    region: REGION,
    endpoint,
    credentials: { accessKeyId: 'AKIALOCALDRILL', secretAccessKey: 'local-drill-not-a-secret' },
  });
  const readers: SecretsManagerClient[] = [];
  const secretsWith = (credentials: SessionCredentials) => {
    const reader = new SecretsManagerClient({ region: REGION, endpoint, credentials });
    readers.push(reader);
    return reader;
  };
  try {
    await bootstrapVerifierRole(
      {
        RequestType: 'Create',
        ResponseURL: 'https://cloudformation-response.local.invalid/drill-local',
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stack}/local`,
        RequestId: randomBytes(8).toString('hex'),
        LogicalResourceId: 'VerifierRole',
        ResourceProperties: properties,
      },
      {
        sts,
        secretsWith,
        connect: masterConnection((host) => tlsOptions(caPath, host)),
        respond: async (_url, body) => {
          answer = body;
        },
        logger: new Logger({ serviceName: 'verifier-role-bootstrap', logLevel: 'SILENT' }),
      },
    );
  } finally {
    sts.destroy();
    for (const reader of readers) reader.destroy();
  }
  if (answer?.Status !== 'SUCCESS') {
    throw new Error(`The verifier role bootstrap failed: ${answer?.Reason ?? 'no answer'}`);
  }
}

/** The drill report as the console shows it: outcome, per-table counts, RTO by phase, RPO. */
export function formatReport(result: LocalDrillResult): string[] {
  const r = result.report;
  const lines: string[] = [];
  if (!r) {
    lines.push(`DR drill ${result.status}: no report was written (${result.error ?? ''}: ${result.cause ?? ''})`);
    return lines;
  }
  lines.push('', `DR drill ${r.outcome} (${r.mode}) for ${r.sourceInstanceId} in ${r.environment}`);
  if (r.error) lines.push(`Error: ${r.error.Error}: ${r.error.Cause}`);
  const v = r.verification;
  if (v?.compared) {
    const header = ['table', 'compared', 'source', 'restored', 'difference', 'source total', 'restored total', ''];
    const rows = v.verification.tables.map((t) => [
      t.table,
      t.compared,
      String((t.compared === 'settled' ? t.source?.settled : t.source?.total) ?? '-'),
      String((t.compared === 'settled' ? t.restored?.settled : t.restored?.total) ?? '-'),
      String(t.difference),
      String(t.source?.total ?? '-'),
      String(t.restored?.total ?? '-'),
      t.withinTolerance ? 'ok' : `MISMATCH (tolerance ${t.tolerance})`,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    for (const row of [header, ...rows])
      lines.push(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());
    lines.push(
      `  counted at C = ${v.verification.countedAt}; settled = stamped at or before ${v.verification.settleCutoff}`,
    );
  } else if (v) {
    lines.push(`Verification: ${v.summary}`);
  } else {
    lines.push('Verification: not reached');
  }
  const within = (w: boolean | undefined) => (w === undefined ? '' : w ? ' (within target)' : ' (ABOVE TARGET)');
  lines.push(
    `RTO: restore ${minutes(r.rto.restoreSeconds)} + verify ${minutes(r.rto.verifySeconds)} = ` +
      `${minutes(r.rto.totalSeconds)}, target ${minutes(r.rto.targetSeconds)}${within(r.rto.withinTarget)}`,
    `RPO: lag ${minutes(r.rpo.lagSeconds)} at preflight, target ${minutes(r.rpo.targetSeconds)}${within(r.rpo.withinTarget)}; ` +
      `restored data ${minutes(r.rpo.freshnessSeconds)} older than C`,
    `Scratch instance ${r.scratchInstanceId}: ${r.cleanupError ? `NOT deleted (${r.cleanupError.Error})` : (r.cleanup?.action ?? 'cleanup not reached')}`,
  );
  if (result.reportPath) lines.push(`Report: ${relative(process.cwd(), result.reportPath)}`);
  return lines;
}
