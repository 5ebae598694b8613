import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RebootDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { Template } from 'aws-cdk-lib/assertions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createIdentityProof } from '../../cli/identity-proof.js';
import { proofPurpose, stsHost } from '../../contract/identity-proof.js';
import { instanceStatus } from '../../lambda/instance-status/instance-status.js';
import { type ApprovalConfig, approval } from '../../lambda/restore-approval/approval.js';
import { cutover } from '../../lambda/restore-cutover/cutover.js';
import { type ControlConfig, control } from '../../lambda/rewind-control/control.js';
import { type ReplayConfig, replayAction } from '../../lambda/rewind-replay/actions.js';
import type { ReplaySession } from '../../lambda/rewind-replay/replay.js';
import { type RewindReportConfig, reportRewind } from '../../lambda/rewind-report/report.js';
import { loadConfig } from '../../lib/config/load.js';
import { environmentStacks, templateOf } from '../support/app.js';
import { type PostgresServer, startPostgres } from '../support/postgres.js';
import { ACCOUNT, definitionFrom, type ExecutionResult, REGION, runExecution } from '../support/state-machine.js';
import { type StsIdentity, StsStandin, twoOperators } from '../support/sts-standin.js';
import { createVerifiedDatabase, writtenReport } from '../support/verified-database.js';

const config = loadConfig('prod');
const REPLICA = 'authdb-prod-delayed';
const GROUP = 'authdb-prod-delayed-params';
const MACHINE = 'authdb-dr-prod-rewind';
const PRODUCTION = 'authdb-prod';
const MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${MACHINE}`;
const executionArn = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${MACHINE}:${name}`;
/** Two operators of the account: Alice starts the rewind, Bob approves it (prod's two-person rule). */
const { ALICE, BOB } = twoOperators(ACCOUNT);
const APPROVAL_TIMEOUT_MINUTES = config.cutover.approvalTimeoutMinutes;
const proof = (who: StsIdentity, kind: 'start' | 'approve', name: string) =>
  createIdentityProof(who, REGION, proofPurpose(kind, executionArn(name)), new Date());
/** What stands in for `authdb-dr rewind approve` (its SendTaskSuccess output) or for Step Functions (a timeout). */
type Answer = (name: string) => Promise<unknown>;
const approvedBy =
  (who: StsIdentity): Answer =>
  async (name) => ({ identityProof: await proof(who, 'approve', name) });
const timedOut: Answer = async () => {
  throw Object.assign(new Error('Task timed out'), { name: 'States.Timeout' });
};
const rejected: Answer = async () => {
  throw Object.assign(new Error('rejected by bob'), { name: 'CutoverRejected' });
};

/**
 * The delayed replica as the replay-control role sees it. The SQL itself runs against a real primary and standby in
 * test/lambda/rewind-replay.test.ts; here the replica only has to behave like one across pause, reboot and target.
 */
class FakeReplica {
  paused = false;
  rebooted = false;
  promoted = false;
  constructor(
    public lastReplayAt: string,
    /** The last commit before T, replayed once the replica restarts with the recovery target. */
    public beforeTarget: string,
  ) {}
  session(): ReplaySession & { end(): Promise<void> } {
    return {
      query: async (text: string, values?: unknown[]) => {
        if (text.includes('pg_wal_replay_pause()')) {
          this.paused = true;
          return { rows: [{}] };
        }
        if (text.includes('pg_wal_replay_resume()')) {
          this.paused = false;
          return { rows: [{}] };
        }
        const incident = String(values?.[0]);
        const last = this.rebooted ? this.beforeTarget : this.lastReplayAt;
        return {
          rows: [
            {
              in_recovery: !this.promoted,
              pause_state: this.rebooted || this.paused ? 'paused' : 'not paused',
              last_replay_at: last,
              before_incident: Date.parse(last) < Date.parse(incident),
              now: new Date().toISOString(),
              apply_delay_ms: this.rebooted ? '0' : '3600000',
              target_is_incident: this.rebooted,
              pending_bytes: '8192',
            },
          ],
        };
      },
      end: async () => {},
    };
  }
}

const rdsMock = mockClient(RDSClient);
const sfnMock = mockClient(SFNClient);
const s3Mock = mockClient(S3Client);
const snsMock = mockClient(SNSClient);
let pgServer: PostgresServer;
let sts: StsStandin;
let stsEndpoint: string;
let definition: StateMachineDefinition;
let runs = 0;
let replica: FakeReplica;
/** Describe answers in order, the last one repeating. */
let describes: { status: string; replica: boolean; applyStatus: string }[];
/**
 * Which instance holds which name (the cutover renames them): `replica` is the delayed replica, `original` the
 * production instance. A name is free while a rename away from it is applied.
 */
let names: Map<string, 'replica' | 'original'>;
/** Renames of these identifiers fail (the call is refused, nothing renamed). */
let refusedRenames: Set<string>;

const SCHEMA = (createdAt: string) => `
  CREATE TABLE users (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
  CREATE TABLE platform_accounts (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
  CREATE TABLE audit_logs (id bigserial PRIMARY KEY, created_at timestamptz NOT NULL);
  INSERT INTO users (created_at) SELECT '${createdAt}'::timestamptz - i * interval '1 minute' FROM generate_series(1, 30) i;
  INSERT INTO platform_accounts (created_at) SELECT '${createdAt}'::timestamptz FROM generate_series(1, 20) i;
  INSERT INTO audit_logs (created_at) SELECT '${createdAt}'::timestamptz FROM generate_series(1, 50) i;`;

beforeAll(async () => {
  definition = definitionFrom(templateOf('prod', 'recovery'), 'RewindStateMachine');
  pgServer = await startPostgres();
  sts = new StsStandin([ALICE, BOB], stsHost(REGION));
  stsEndpoint = await sts.start();
}, 120_000);

afterAll(async () => {
  await pgServer?.stop();
  await sts?.stop();
  rdsMock.restore();
  sfnMock.restore();
  s3Mock.restore();
  snsMock.restore();
});

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
let incidentTime: string;

beforeEach(async () => {
  incidentTime = minutesAgo(10);
  replica = new FakeReplica(minutesAgo(50), new Date(Date.parse(incidentTime) - 800).toISOString());
  describes = [{ status: 'available', replica: true, applyStatus: 'in-sync' }];
  rdsMock.reset();
  s3Mock.reset();
  snsMock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  rdsMock.on(ModifyDBParameterGroupCommand).callsFake(() => {
    describes = [{ status: 'available', replica: true, applyStatus: 'pending-reboot' }];
    return { DBParameterGroupName: GROUP };
  });
  rdsMock.on(RebootDBInstanceCommand).callsFake(() => {
    replica.rebooted = true;
    describes = [
      { status: 'rebooting', replica: true, applyStatus: 'in-sync' },
      { status: 'available', replica: true, applyStatus: 'in-sync' },
    ];
    return {};
  });
  rdsMock.on(PromoteReadReplicaCommand).callsFake(() => {
    replica.promoted = true;
    describes = [
      { status: 'modifying', replica: true, applyStatus: 'in-sync' },
      { status: 'available', replica: false, applyStatus: 'in-sync' },
    ];
    return {};
  });
  names = new Map([
    [REPLICA, 'replica'],
    [PRODUCTION, 'original'],
  ]);
  refusedRenames = new Set();
  rdsMock.on(ModifyDBInstanceCommand).callsFake((input) => {
    const holder = names.get(input.DBInstanceIdentifier);
    if (!holder)
      throw new DBInstanceNotFoundFault({ message: `${input.DBInstanceIdentifier} not found`, $metadata: {} });
    if (names.has(input.NewDBInstanceIdentifier)) {
      throw Object.assign(new Error(`${input.NewDBInstanceIdentifier} exists`), {
        name: 'DBInstanceAlreadyExistsFault',
      });
    }
    if (refusedRenames.has(input.DBInstanceIdentifier)) {
      throw Object.assign(new Error('The rename was refused'), { name: 'InvalidDBInstanceState' });
    }
    names.delete(input.DBInstanceIdentifier);
    names.set(input.NewDBInstanceIdentifier, holder);
    return {};
  });
  rdsMock.on(DescribeDBInstancesCommand).callsFake((input) => {
    const holder = names.get(input.DBInstanceIdentifier);
    if (!holder)
      throw new DBInstanceNotFoundFault({ message: `${input.DBInstanceIdentifier} not found`, $metadata: {} });
    if (holder === 'original') {
      return { DBInstances: [{ DBInstanceIdentifier: input.DBInstanceIdentifier, DBInstanceStatus: 'available' }] };
    }
    const d = describes.length > 1 ? describes.shift()! : describes[0]!;
    return {
      DBInstances: [
        {
          DBInstanceIdentifier: input.DBInstanceIdentifier,
          DBInstanceStatus: d.status,
          ...(d.replica ? { ReadReplicaSourceDBInstanceIdentifier: 'authdb-prod' } : {}),
          DBParameterGroups: [{ DBParameterGroupName: GROUP, ParameterApplyStatus: d.applyStatus }],
        },
      ],
    };
  });
  await pgServer.psql('DROP DATABASE IF EXISTS promoted WITH (FORCE)');
  // What the bootstrap installed on the primary, and so the replica has: the verifier's counting functions.
  await createVerifiedDatabase(
    pgServer,
    'promoted',
    SCHEMA(new Date(Date.parse(incidentTime) - 60_000).toISOString()),
    { role: config.drill.verifierRole, tables: config.drill.tables },
  );
});

/** The restore's approval function as prod configures it: it approves restore and rewind executions. */
const approvalConfig = (): ApprovalConfig => ({
  environment: 'prod',
  topicArn: 'arn:aws:sns:ap-northeast-2:111111111111:alerts',
  timeoutMinutes: APPROVAL_TIMEOUT_MINUTES,
  identity: { stsHost: stsHost(REGION), account: ACCOUNT, stsEndpoint },
  stateMachines: {
    restore: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:authdb-dr-prod-restore`,
    rewind: MACHINE_ARN,
  },
});
const approvalDeps = () => ({
  sns: new SNSClient({}),
  sfn: new SFNClient({ region: REGION }),
  fetch,
  now: () => new Date(),
});

/** A confirmed cutover as `authdb-dr rewind start` sends it in prod: with the starter's proof for this execution. */
const confirmedBy =
  (who: StsIdentity) =>
  async (name: string): Promise<unknown> => ({
    incidentTime,
    cutover: { confirmSourceInstanceId: PRODUCTION, identityProof: await proof(who, 'start', name) },
  });

/** Approval requests the run sent (each a RequestApproval payload), and its SNS messages. */
let approvalRequests: unknown[];
const messages = () => snsMock.commandCalls(PublishCommand).map((c) => String(c.args[0].input.Message));

/**
 * Runs the prod rewind. `input` may depend on the execution's name (a starter's proof is bound to it); each time the
 * machine waits for an approval, the next answer stands in for the approver or for Step Functions.
 */
async function runRewind(
  inputOf: unknown,
  overrides: Partial<ControlConfig> = {},
  answers: Answer[] = [],
): Promise<ExecutionResult> {
  const rds = new RDSClient({ region: REGION });
  const now = () => new Date();
  const executionName = `rewind-test-${++runs}`;
  const startTime = new Date().toISOString();
  const input = typeof inputOf === 'function' ? await inputOf(executionName) : inputOf;
  // The cutover function reads its caller from Step Functions: this execution, running, with this input.
  sfnMock.reset();
  sfnMock.on(DescribeExecutionCommand).resolves({
    executionArn: executionArn(executionName),
    stateMachineArn: MACHINE_ARN,
    status: 'RUNNING',
    input: JSON.stringify(input),
    startDate: new Date(startTime),
  });
  const controlConfig: ControlConfig = {
    environment: 'prod',
    replicaInstanceId: REPLICA,
    parameterGroupName: GROUP,
    backupRetentionDays: 35,
    rebootTimeoutSeconds: 1800,
    replayTimeoutSeconds: 1800,
    promoteTimeoutSeconds: 1800,
    productionInstanceId: PRODUCTION,
    approvalRequired: config.cutover.requireApproval,
    identity: { stsHost: stsHost(REGION), account: ACCOUNT, stsEndpoint },
    ...overrides,
  };
  const approve = (e: unknown) => approval(e, approvalConfig(), approvalDeps());
  approvalRequests = [];
  const replayConfig: ReplayConfig = {
    environment: 'prod',
    tables: config.drill.tables,
    concurrency: 2,
    marginSeconds: 300,
    replayBytesPerSecond: 1024,
    rebootSeconds: 180,
    promoteSeconds: 300,
  };
  const reportConfig: RewindReportConfig = {
    environment: 'prod',
    bucket: 'reports',
    topicArn: 'arn:aws:sns:ap-northeast-2:111111111111:alerts',
    rtoTargetSeconds: 900,
    marginSeconds: 300,
    productionInstanceId: PRODUCTION,
  };
  const ctl = (e: unknown) => control(e, controlConfig, { rds, now });
  const rep = (e: unknown) =>
    replayAction(e, replayConfig, {
      replayControl: async () => replica.session(),
      verifier: pgServer.connectionFactory('promoted'),
    });
  const report = (e: unknown) =>
    reportRewind(e, reportConfig, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      metrics: { addMetric: () => {}, publishStoredMetrics: () => {} },
      now,
    });
  const cut = (e: unknown) =>
    cutover(
      e,
      {
        sourceInstanceId: PRODUCTION,
        stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:authdb-dr-prod-restore`,
        rewind: {
          stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${MACHINE}`,
          targetInstanceId: REPLICA,
        },
      },
      { rds, sfn: new SFNClient({ region: REGION }), now },
    );
  const status = (e: unknown) => instanceStatus(e, { rds, now });
  return runExecution(definition, input, {
    executionName,
    startTime,
    stateMachineName: MACHINE,
    handlers: {
      Plan: ctl,
      DryRun: rep,
      Freeze: rep,
      SetRecoveryTarget: ctl,
      ParametersPendingReboot: ctl,
      Reboot: ctl,
      RebootStatus: ctl,
      CheckRecoveryTarget: rep,
      ReplayDeadline: ctl,
      Promote: ctl,
      PromotionStatus: ctl,
      Verify: rep,
      Report: report,
      ReportFailure: report,
      RenameProductionAside: cut,
      ProductionAsideStatus: status,
      RenameReplicaIntoProduction: cut,
      ProductionNameStatus: status,
      RollBackProductionName: cut,
      RequestApproval: async (e) => {
        // A waitForTaskToken task gets { FunctionName, Payload }: the function is invoked with the Payload.
        const payload = (e as { Payload: unknown }).Payload;
        approvalRequests.push(payload);
        await approve(payload);
        const answer = answers.shift();
        if (!answer) throw new Error('no more answers');
        return answer(executionName);
      },
      CheckApproval: approve,
    },
  });
}

function savedReport(): Record<string, unknown> {
  return writtenReport(s3Mock, /^rewinds\/prod\/\d{4}\/\d{2}\/rewind-test-\d+\.json$/);
}

const calls = (command: Parameters<typeof rdsMock.commandCalls>[0]) =>
  rdsMock.commandCalls(command).map((c) => c.args[0].input);

describe('rewind workflow (synthesized definition, real handlers, mocked RDS, real PostgreSQL for verification)', () => {
  it('freezes, sets the recovery target, reboots, promotes, verifies and reports', async () => {
    const result = await runRewind({ incidentTime });
    expect(result.cause).toBeUndefined();
    expect(result.error).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const order = ['Freeze', 'SetRecoveryTarget', 'Reboot', 'CheckRecoveryTarget', 'Promote', 'Verify', 'Report'];
    expect(result.states.filter((s) => order.includes(s))).toEqual(order);

    // The recovery target stops just before T, applied at the reboot, on the replica's own group only.
    expect(calls(ModifyDBParameterGroupCommand)).toEqual([
      {
        DBParameterGroupName: GROUP,
        Parameters: expect.arrayContaining([
          expect.objectContaining({ ParameterName: 'recovery_target_time', ApplyMethod: 'pending-reboot' }),
          { ParameterName: 'recovery_target_inclusive', ParameterValue: '0', ApplyMethod: 'pending-reboot' },
          { ParameterName: 'recovery_target_action', ParameterValue: 'pause', ApplyMethod: 'pending-reboot' },
          { ParameterName: 'recovery_min_apply_delay', ParameterValue: '0', ApplyMethod: 'pending-reboot' },
        ]),
      },
    ]);
    expect(calls(RebootDBInstanceCommand)).toEqual([{ DBInstanceIdentifier: REPLICA }]);
    expect(calls(PromoteReadReplicaCommand)).toEqual([{ DBInstanceIdentifier: REPLICA, BackupRetentionPeriod: 35 }]);

    const output = result.output as {
      outcome: string;
      promotedInstanceId: string;
      recoveryPoint: string;
      next: string;
    };
    expect(output).toMatchObject({
      outcome: 'succeeded',
      promotedInstanceId: REPLICA,
      recoveryPoint: replica.beforeTarget,
    });
    expect(output.next).toContain(`Point applications at ${REPLICA}`);
    const r = savedReport();
    expect(r).toMatchObject({
      outcome: 'succeeded',
      incidentTime,
      recoveryPoint: replica.beforeTarget,
      withinMargin: true,
      promotedInstanceId: REPLICA,
      cutover: { requested: false },
      verification: { ok: true },
    });
    expect((r.rto as Record<string, number>).totalSeconds).toBeGreaterThanOrEqual(0);
  });

  it('refuses a T the replica has already replayed past, names the point-in-time restore, changes nothing and resumes replay', async () => {
    replica.lastReplayAt = minutesAgo(5);
    const result = await runRewind({ incidentTime });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('IncidentTooOld');
    expect(result.cause).toContain('Use the point-in-time restore instead: authdb-dr restore start --env prod');
    expect(replica.paused).toBe(false);
    expect(calls(ModifyDBParameterGroupCommand)).toEqual([]);
    expect(calls(PromoteReadReplicaCommand)).toEqual([]);
    expect(savedReport()).toMatchObject({ outcome: 'failed', promotedInstanceId: null });
  });

  it('stops on an RDS API error when setting the target: no reboot, no promotion, replay left paused', async () => {
    rdsMock
      .on(ModifyDBParameterGroupCommand)
      .rejects(Object.assign(new Error('recovery_target_time is not modifiable'), { name: 'InvalidParameterValue' }));
    const result = await runRewind({ incidentTime });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidParameterValue');
    expect(calls(RebootDBInstanceCommand)).toEqual([]);
    expect(calls(PromoteReadReplicaCommand)).toEqual([]);
    expect(replica.paused).toBe(true);
    expect(String(savedReport().next)).toContain('was not promoted');
  });

  it('gives up on a promotion that never completes, naming the instance', async () => {
    rdsMock.on(PromoteReadReplicaCommand).callsFake(() => {
      describes = [{ status: 'modifying', replica: true, applyStatus: 'in-sync' }];
      return {};
    });
    const result = await runRewind({ incidentTime }, { promoteTimeoutSeconds: 0 });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('PromotionTimedOut');
    expect(result.cause).toContain(`${REPLICA} is still modifying (a replica)`);
    expect(result.states).not.toContain('Verify');
    expect(String(savedReport().next)).toContain('was promoted: inspect it');
  });

  it('fails verification when a configured table is missing or a row is newer than T', async () => {
    await pgServer.psql('DROP TABLE audit_logs', 'promoted');
    await pgServer.psql(`INSERT INTO users (created_at) VALUES (now())`, 'promoted');
    const result = await runRewind({ incidentTime });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('VerificationFailed');
    expect(result.cause).toContain('missing tables: audit_logs');
    expect(result.cause).toMatch(/rows stamped after .*: users/);
    expect(savedReport()).toMatchObject({ outcome: 'failed', promotedInstanceId: REPLICA });
  });

  it('cutover declined: without a confirmation nothing is renamed and production keeps its name', async () => {
    const result = await runRewind({ incidentTime });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.states).not.toContain('RenameProductionAside');
    expect(calls(ModifyDBInstanceCommand)).toEqual([]);
    expect(Object.fromEntries(names)).toEqual({ [REPLICA]: 'replica', [PRODUCTION]: 'original' });
    expect(savedReport()).toMatchObject({ cutover: { requested: false, completed: false, productionRenamedTo: null } });
    expect(String((result.output as { next: string }).next)).toContain('production was not cut over');
  });

  it('refuses a cutover confirming another instance than production, before anything changes', async () => {
    const result = await runRewind({ incidentTime, cutover: { confirmSourceInstanceId: 'authdb-staging' } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain(
      'cutover.confirmSourceInstanceId = "authdb-staging"; allowed: authdb-prod (the production instance',
    );
    expect(replica.paused).toBe(false);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('cutover confirmed: after verification and approval production goes aside and the promoted replica takes its name', async () => {
    const result = await runRewind(confirmedBy(ALICE), {}, [approvedBy(BOB)]);
    expect(result.cause).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    const order = [
      'Promote',
      'Verify',
      'RequestApproval',
      'CheckApproval',
      'RenameProductionAside',
      'RenameReplicaIntoProduction',
      'Report',
    ];
    expect(result.states.filter((s) => order.includes(s))).toEqual(order);
    // Names converge: the promoted replica holds the production name, production waits under its pre-restore name.
    const aside = [...names.keys()].find((n) => n.startsWith(`${PRODUCTION}-pre-restore-`));
    expect(aside).toMatch(/^authdb-prod-pre-restore-\d{12}$/);
    expect(Object.fromEntries(names)).toEqual({ [PRODUCTION]: 'replica', [aside!]: 'original' });
    expect(calls(ModifyDBInstanceCommand)).toEqual([
      { DBInstanceIdentifier: PRODUCTION, NewDBInstanceIdentifier: aside, ApplyImmediately: true },
      { DBInstanceIdentifier: REPLICA, NewDBInstanceIdentifier: PRODUCTION, ApplyImmediately: true },
    ]);
    const r = savedReport();
    expect(r).toMatchObject({
      outcome: 'succeeded',
      recoveryPoint: replica.beforeTarget,
      cutover: { requested: true, completed: true, productionRenamedTo: aside, rolledBack: null },
    });
    expect((r.rto as Record<string, number>).cutoverSeconds).toBeGreaterThanOrEqual(0);
    expect(String(r.next)).toContain(`${PRODUCTION} is now the promoted replica`);
  });

  it('a failed cutover rolls back: production gets its name back and the rewind fails, saying so', async () => {
    refusedRenames.add(REPLICA);
    const result = await runRewind(confirmedBy(ALICE), {}, [approvedBy(BOB)]);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidDBInstanceState');
    expect(result.states).toContain('RollBackProductionName');
    expect(Object.fromEntries(names)).toEqual({ [REPLICA]: 'replica', [PRODUCTION]: 'original' });
    const r = savedReport();
    expect(r).toMatchObject({
      outcome: 'failed',
      cutover: { requested: true, completed: false, rolledBack: { holder: 'original' } },
    });
    expect(String(r.next)).toContain(`The cutover was rolled back: ${PRODUCTION} is held by the original instance`);
  });

  it('refuses a zone-less incident time, naming the field', async () => {
    const result = await runRewind({ incidentTime: '2026-11-26T02:55:00' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain('incidentTime = "2026-11-26T02:55:00"; allowed: an ISO-8601 time with a zone');
  });

  it('dry run: says what it would do and how long, and changes nothing', async () => {
    const result = await runRewind({ incidentTime, dryRun: true });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ canRewind: true, expectedSeconds: 180 + 8 + 300 });
    expect(replica.paused).toBe(false);
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('two-person rule: a confirmed rewind cutover waits for another principal (issue 8, finding 7)', () => {
  const unchanged = () => expect(Object.fromEntries(names)).toEqual({ [REPLICA]: 'replica', [PRODUCTION]: 'original' });

  it('is in the prod definition: a waitForTaskToken task with the configured timeout, before the first rename', () => {
    expect(config.cutover.requireApproval).toBe(true);
    expect(definition.States.RequestApproval).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSeconds: APPROVAL_TIMEOUT_MINUTES * 60,
      Parameters: { Payload: { action: 'request', 'taskToken.$': '$$.Task.Token', 'plan.$': '$.plan' } },
    });
    const cutoverChoice = definition.States['Cutover?'] as unknown as { Choices: { Next: string }[] };
    expect(cutoverChoice.Choices[0]!.Next).toBe('AwaitApproval');
    expect((definition.States.RecordApproval as unknown as { Next: string }).Next).toBe('RenameProductionAside');
    // With the rule turned off (as dev does), a confirmed cutover goes straight to the renames.
    const { recovery } = environmentStacks('prod', (c) => ({
      ...c,
      cutover: { ...c.cutover, requireApproval: false },
    }));
    const off = definitionFrom(Template.fromStack(recovery), 'RewindStateMachine');
    expect(off.States.RequestApproval).toBeUndefined();
    expect((off.States['Cutover?'] as unknown as { Choices: { Next: string }[] }).Choices[0]!.Next).toBe(
      'RenameProductionAside',
    );
  });

  it('cuts over once another person approves: the approval names both, and the report says who', async () => {
    const result = await runRewind(confirmedBy(ALICE), {}, [approvedBy(BOB)]);
    expect(result.cause).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(Object.fromEntries(names)).toMatchObject({ [PRODUCTION]: 'replica' });
    expect(approvalRequests[0]).toMatchObject({ taskToken: 'local-task-token', plan: { startedBy: ALICE.arn } });
    const [ask] = messages();
    expect(ask).toContain(`Approval needed for rewind execution rewind-test-${runs} in prod: cut over to the promoted`);
    expect(ask).toContain(`npx authdb-dr rewind approve --env prod --execution rewind-test-${runs}`);
    expect(messages().join('\n')).not.toContain('local-task-token');
    expect(savedReport()).toMatchObject({
      cutover: {
        completed: true,
        approval: { required: true, outcome: 'approved', startedBy: ALICE.arn, approvedBy: BOB.arn },
      },
    });
  });

  it('refuses the starter as approver, asks again, and ends WITHOUT any rename when nobody else approves in time', async () => {
    const result = await runRewind(confirmedBy(ALICE), {}, [approvedBy(ALICE), timedOut]);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CutoverNotApproved');
    expect(result.cause).toBe(
      `No second person approved the cutover within ${APPROVAL_TIMEOUT_MINUTES} minutes: production is unchanged, the promoted replica ${REPLICA} is kept`,
    );
    expect(result.states.filter((st) => st === 'RequestApproval')).toHaveLength(2);
    expect(result.states).not.toContain('RenameProductionAside');
    expect(calls(ModifyDBInstanceCommand)).toEqual([]);
    unchanged();
    expect(messages()[1]).toContain(
      `The previous approval was not accepted: Approval by ${ALICE.arn} refused: the same principal started the rewind`,
    );
    const r = savedReport();
    expect(r).toMatchObject({
      outcome: 'failed',
      promotedInstanceId: REPLICA,
      cutover: { requested: true, completed: false, productionRenamedTo: null, approval: { outcome: 'timed-out' } },
    });
    expect(String(r.next)).toContain(
      `The cutover was not approved (CutoverNotApproved): production is unchanged, ${PRODUCTION} keeps its name. ` +
        `${REPLICA} is promoted and verified`,
    );
    // The alert the restore gives: the report goes to the topic.
    expect(messages().at(-1)).toContain('Rewind to before');
  });

  it('ends without any rename when the approver rejects it', async () => {
    const result = await runRewind(confirmedBy(ALICE), {}, [rejected]);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CutoverRejected');
    expect(calls(ModifyDBInstanceCommand)).toEqual([]);
    unchanged();
    expect(savedReport()).toMatchObject({ cutover: { completed: false, approval: { outcome: 'rejected' } } });
  });

  it('ends without any rename on a timeout with no answer at all', async () => {
    const result = await runRewind(confirmedBy(ALICE), {}, [timedOut]);
    expect(result.error).toBe('CutoverNotApproved');
    expect(result.states.slice(-3)).toEqual(['ApprovalTimedOut', 'ReportFailure', 'RewindFailed']);
    expect(calls(ModifyDBInstanceCommand)).toEqual([]);
    unchanged();
  });

  it('refuses a confirmed cutover whose input does not prove who starts it, before anything changes', async () => {
    const result = await runRewind({ incidentTime, cutover: { confirmSourceInstanceId: PRODUCTION } });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.cause).toContain(
      'cutover.identityProof = missing; allowed: a proof of who starts the cutover (a second person approves every cutover in prod',
    );
    expect(result.states).toEqual(['Plan', 'InvalidInput']);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('refuses a starter proof made for another execution (a proof cannot be replayed)', async () => {
    const result = await runRewind(async () => confirmedBy(ALICE)('another-execution'));
    expect(result.error).toBe('InvalidIdentityProof');
    expect(result.cause).toMatch(/Identity proof refused: STS answered 403 SignatureDoesNotMatch/);
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('approves only running executions of the restore and rewind machines: a drill or an ended rewind is refused', async () => {
    const name = 'rewind-direct';
    const plan = {
      environment: 'prod',
      sourceInstanceId: PRODUCTION,
      targetInstanceId: REPLICA,
      preRestoreInstanceId: `${PRODUCTION}-pre-restore-202611261000`,
      executionArn: executionArn(name),
      executionName: name,
      cutover: true,
      startedBy: ALICE.arn,
    };
    const check = async () =>
      approval(
        { action: 'check', plan, approval: { identityProof: await proof(BOB, 'approve', name) } },
        approvalConfig(),
        approvalDeps(),
      );
    const describedAs = (stateMachineArn: string, status: 'RUNNING' | 'ABORTED') => {
      sfnMock.reset();
      sfnMock.on(DescribeExecutionCommand).resolves({ executionArn: executionArn(name), stateMachineArn, status });
    };
    describedAs(MACHINE_ARN, 'RUNNING');
    await expect(check()).resolves.toMatchObject({ approvedBy: BOB.arn, startedBy: ALICE.arn });
    const drill = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:authdb-dr-prod-drill`;
    describedAs(drill, 'RUNNING');
    await expect(check()).rejects.toMatchObject({
      name: 'ApprovalRefused',
      message: expect.stringContaining(
        `it is not an execution of ${approvalConfig().stateMachines.restore} or ${MACHINE_ARN}`,
      ),
    });
    describedAs(MACHINE_ARN, 'ABORTED');
    await expect(check()).rejects.toMatchObject({
      name: 'ApprovalRefused',
      message: expect.stringContaining('it is ABORTED; allowed: RUNNING'),
    });
    // Nobody is told to approve an execution that is not a running restore or rewind.
    await expect(
      approval({ action: 'request', taskToken: 't', plan, refusal: {} }, approvalConfig(), approvalDeps()),
    ).rejects.toMatchObject({ name: 'ApprovalRefused' });
    expect(snsMock.commandCalls(PublishCommand)).toEqual([]);
  });
});
