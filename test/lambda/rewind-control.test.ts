import {
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  ModifyDBParameterGroupCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RebootDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdentityProof } from '../../cli/identity-proof.js';
import { proofPurpose, stsHost } from '../../contract/identity-proof.js';
import { type ControlConfig, control } from '../../lambda/rewind-control/control.js';
import { awsError } from '../support/restore-lambdas.js';
import { StsStandin, twoOperators } from '../support/sts-standin.js';

const REGION = 'ap-northeast-2';
const ACCOUNT = '111111111111';
const { ALICE } = twoOperators(ACCOUNT);
const REPLICA = 'authdb-prod-delayed';
const NOW = new Date('2026-11-30T10:00:00.000Z');
const now = () => NOW;
const execution = {
  Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:authdb-dr-prod-rewind:incident-7`,
  Name: 'incident-7',
  StartTime: '2026-11-30T09:59:00.000Z',
};
const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: REGION });
let sts: StsStandin;
let config: ControlConfig;

beforeAll(async () => {
  sts = new StsStandin([ALICE], stsHost(REGION), now);
  config = {
    environment: 'prod',
    replicaInstanceId: REPLICA,
    parameterGroupName: 'authdb-prod-delayed-params',
    backupRetentionDays: 14,
    rebootTimeoutSeconds: 900,
    replayTimeoutSeconds: 3600,
    promoteTimeoutSeconds: 1200,
    productionInstanceId: 'authdb-prod',
    approvalRequired: false,
    identity: { stsHost: stsHost(REGION), stsEndpoint: await sts.start(), account: ACCOUNT },
  };
});
afterAll(() => sts?.stop());
beforeEach(() => {
  rdsMock.reset();
});

const deps = () => ({ rds, now, fetch });
const planEvent = (input: Record<string, unknown>) => ({ action: 'plan', input, execution });
const replica = (extra: Record<string, unknown> = {}) =>
  rdsMock.on(DescribeDBInstancesCommand).resolves({
    DBInstances: [
      {
        DBInstanceIdentifier: REPLICA,
        DBInstanceStatus: 'available',
        ReadReplicaSourceDBInstanceIdentifier: 'authdb-prod',
        DBParameterGroups: [{ DBParameterGroupName: 'authdb-prod-delayed-params', ParameterApplyStatus: 'in-sync' }],
        ...extra,
      },
    ],
  });

describe('rewind-control plan', () => {
  it('plans a rewind of the configured replica without a cutover', async () => {
    expect(await control(planEvent({ incidentTime: '2026-11-30T09:50:00.250Z' }), config, deps())).toMatchObject({
      incidentTime: '2026-11-30T09:50:00.250Z',
      dryRun: false,
      replicaInstanceId: REPLICA,
      cutover: false,
      sourceInstanceId: 'authdb-prod',
      executionArn: execution.Id,
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('normalizes an incident time with an offset to UTC', async () => {
    expect(await control(planEvent({ incidentTime: '2026-11-30T18:50:00+09:00' }), config, deps())).toMatchObject({
      incidentTime: '2026-11-30T09:50:00.000Z',
    });
  });

  it('rejects a zone-less or future incident time, naming the field', async () => {
    await expect(control(planEvent({ incidentTime: '2026-11-30T09:50:00' }), config, deps())).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('incidentTime'),
    });
    await expect(control(planEvent({ incidentTime: '2026-11-30T11:00:00Z' }), config, deps())).rejects.toThrow(
      'incidentTime = "2026-11-30T11:00:00Z"; allowed: a time in the past',
    );
  });

  it('rejects a cutover that does not confirm the production instance', async () => {
    await expect(
      control(
        planEvent({ incidentTime: '2026-11-30T09:50:00Z', cutover: { confirmSourceInstanceId: 'authdb-dev' } }),
        config,
        deps(),
      ),
    ).rejects.toThrow('cutover.confirmSourceInstanceId = "authdb-dev"; allowed: authdb-prod');
  });

  it('requires the starter identity proof where a second person approves cutovers', async () => {
    await expect(
      control(
        planEvent({ incidentTime: '2026-11-30T09:50:00Z', cutover: { confirmSourceInstanceId: 'authdb-prod' } }),
        { ...config, approvalRequired: true },
        deps(),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('cutover.identityProof = missing'),
    });
  });

  it('names the starter from a valid proof bound to this execution', async () => {
    const identityProof = await createIdentityProof(ALICE, REGION, proofPurpose('start', execution.Id), NOW);
    expect(
      await control(
        planEvent({
          incidentTime: '2026-11-30T09:50:00Z',
          cutover: { confirmSourceInstanceId: 'authdb-prod', identityProof },
        }),
        { ...config, approvalRequired: true },
        deps(),
      ),
    ).toMatchObject({ cutover: true, approvalRequired: true, startedBy: ALICE.arn, targetInstanceId: REPLICA });
  });

  it('refuses a proof made for another execution', async () => {
    const identityProof = await createIdentityProof(ALICE, REGION, proofPurpose('start', `${execution.Id}-x`), NOW);
    await expect(
      control(
        planEvent({
          incidentTime: '2026-11-30T09:50:00Z',
          cutover: { confirmSourceInstanceId: 'authdb-prod', identityProof },
        }),
        { ...config, approvalRequired: true },
        deps(),
      ),
    ).rejects.toThrow(/STS answered 403 SignatureDoesNotMatch/);
  });
});

describe('rewind-control steps', () => {
  it('rejects an unknown action', async () => {
    await expect(control({ action: 'delete' }, config, deps())).rejects.toMatchObject({ name: 'InvalidInput' });
  });

  it('setTarget sets every recovery setting for the next reboot on the configured group', async () => {
    rdsMock.on(ModifyDBParameterGroupCommand).resolves({});
    await control({ action: 'setTarget', incidentTime: '2026-11-30T09:50:00.250Z' }, config, deps());
    const input = rdsMock.commandCalls(ModifyDBParameterGroupCommand)[0]!.args[0].input;
    expect(input.DBParameterGroupName).toBe('authdb-prod-delayed-params');
    expect(input.Parameters).toContainEqual({
      ParameterName: 'recovery_target_time',
      ParameterValue: '2026-11-30 09:50:00.250000+00',
      ApplyMethod: 'pending-reboot',
    });
    expect(input.Parameters?.every((p) => p.ApplyMethod === 'pending-reboot')).toBe(true);
  });

  it('passes on an RDS error of setTarget', async () => {
    rdsMock.on(ModifyDBParameterGroupCommand).rejects(awsError('InvalidDBParameterGroupStateFault'));
    await expect(
      control({ action: 'setTarget', incidentTime: '2026-11-30T09:50:00Z' }, config, deps()),
    ).rejects.toMatchObject({ name: 'InvalidDBParameterGroupStateFault' });
  });

  it('parameters: reports the apply status, and times out when the target never became pending', async () => {
    replica({
      DBParameterGroups: [
        { DBParameterGroupName: 'authdb-prod-delayed-params', ParameterApplyStatus: 'pending-reboot' },
      ],
    });
    expect(await control({ action: 'parameters', since: '2026-11-30T09:00:00Z' }, config, deps())).toEqual({
      pendingReboot: true,
      status: 'pending-reboot',
    });
    replica();
    expect(await control({ action: 'parameters', since: '2026-11-30T09:59:00Z' }, config, deps())).toEqual({
      pendingReboot: false,
      status: 'in-sync',
    });
    await expect(
      control({ action: 'parameters', since: '2026-11-30T09:00:00Z' }, config, deps()),
    ).rejects.toMatchObject({ name: 'RebootTimedOut' });
  });

  it('parameters: fails when the replica no longer uses the configured group', async () => {
    replica({ DBParameterGroups: [{ DBParameterGroupName: 'default.postgres15', ParameterApplyStatus: 'in-sync' }] });
    await expect(
      control({ action: 'parameters', since: '2026-11-30T09:59:00Z' }, config, deps()),
    ).rejects.toMatchObject({ name: 'ReplicaFailed', message: expect.stringContaining('no longer uses') });
  });

  it('fails when the replica does not exist', async () => {
    rdsMock
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: 'not found', $metadata: {} }));
    await expect(
      control({ action: 'status', expect: 'replica', since: '2026-11-30T09:59:00Z' }, config, deps()),
    ).rejects.toMatchObject({ name: 'ReplicaFailed', message: `The delayed replica ${REPLICA} does not exist` });
  });

  it('reboots and promotes only the configured replica', async () => {
    rdsMock.on(RebootDBInstanceCommand).resolves({});
    rdsMock.on(PromoteReadReplicaCommand).resolves({});
    await control({ action: 'reboot', instanceId: 'authdb-prod' }, config, deps());
    await control({ action: 'promote' }, config, deps());
    expect(rdsMock.commandCalls(RebootDBInstanceCommand)[0]!.args[0].input).toEqual({ DBInstanceIdentifier: REPLICA });
    expect(rdsMock.commandCalls(PromoteReadReplicaCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: REPLICA,
      BackupRetentionPeriod: 14,
    });
  });

  it('status: ready as a replica, then as a promoted writer', async () => {
    replica();
    expect(
      await control({ action: 'status', expect: 'replica', since: '2026-11-30T09:59:00Z' }, config, deps()),
    ).toMatchObject({ ready: true, isReplica: true });
    expect(
      await control({ action: 'status', expect: 'promoted', since: '2026-11-30T09:59:00Z' }, config, deps()),
    ).toMatchObject({ ready: false, isReplica: true });
    replica({ ReadReplicaSourceDBInstanceIdentifier: undefined });
    expect(
      await control({ action: 'status', expect: 'promoted', since: '2026-11-30T09:59:00Z' }, config, deps()),
    ).toMatchObject({ ready: true, isReplica: false });
  });

  it('status: fails on a terminal state, and times out per expectation', async () => {
    replica({ DBInstanceStatus: 'storage-full' });
    await expect(
      control({ action: 'status', expect: 'replica', since: '2026-11-30T09:59:00Z' }, config, deps()),
    ).rejects.toMatchObject({ name: 'ReplicaFailed', message: expect.stringContaining('storage-full') });
    replica({ DBInstanceStatus: 'modifying' });
    await expect(
      control({ action: 'status', expect: 'promoted', since: '2026-11-30T09:30:00Z' }, config, deps()),
    ).rejects.toMatchObject({ name: 'PromotionTimedOut', message: expect.stringContaining('limit 1200 s') });
    await expect(
      control({ action: 'status', expect: 'replica', since: '2026-11-30T09:30:00Z' }, config, deps()),
    ).rejects.toMatchObject({ name: 'RebootTimedOut', message: expect.stringContaining('limit 900 s') });
  });

  it('replayDeadline: elapsed until the replay limit, then ReplayTimedOut', async () => {
    expect(await control({ action: 'replayDeadline', since: '2026-11-30T09:30:00Z' }, config, deps())).toEqual({
      elapsedSeconds: 1800,
    });
    await expect(
      control({ action: 'replayDeadline', since: '2026-11-30T08:30:00Z' }, config, deps()),
    ).rejects.toMatchObject({ name: 'ReplayTimedOut', message: expect.stringContaining('limit 3600 s') });
  });

  it('rejects a since that is not a time', async () => {
    await expect(control({ action: 'replayDeadline', since: 'soon' }, config, deps())).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('since'),
    });
  });
});

describe('rewind-control handler', () => {
  const env = {
    ENVIRONMENT: 'prod',
    REPLICA_INSTANCE_ID: REPLICA,
    REPLICA_PARAMETER_GROUP: 'authdb-prod-delayed-params',
    BACKUP_RETENTION_DAYS: '14',
    REBOOT_TIMEOUT_SECONDS: '900',
    REPLAY_TIMEOUT_SECONDS: '3600',
    PROMOTE_TIMEOUT_SECONDS: '1200',
    PRODUCTION_INSTANCE_ID: 'authdb-prod',
    APPROVAL_REQUIRED: 'true',
    STS_HOST: stsHost(REGION),
    ACCOUNT,
  };
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('requires the identity proof when the configuration says a second person approves', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    const { handler } = await import('../../lambda/rewind-control/handler.js');
    await expect(
      handler(planEvent({ incidentTime: '2026-11-30T09:50:00Z', cutover: { confirmSourceInstanceId: 'authdb-prod' } })),
    ).rejects.toThrow('cutover.identityProof = missing');
  });

  it('fails at load naming a missing or malformed variable', async () => {
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    vi.stubEnv('REPLICA_PARAMETER_GROUP', '');
    await expect(import('../../lambda/rewind-control/handler.js')).rejects.toThrow(
      'Missing environment variable REPLICA_PARAMETER_GROUP',
    );
    vi.resetModules();
    vi.stubEnv('REPLICA_PARAMETER_GROUP', 'authdb-prod-delayed-params');
    vi.stubEnv('REPLAY_TIMEOUT_SECONDS', '1h');
    await expect(import('../../lambda/rewind-control/handler.js')).rejects.toThrow(
      'Environment variable REPLAY_TIMEOUT_SECONDS must be a whole number, got "1h"',
    );
  });
});
