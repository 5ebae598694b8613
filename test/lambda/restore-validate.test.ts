import {
  type DBInstance,
  DBInstanceNotFoundFault,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIdentityProof } from '../../cli/identity-proof.js';
import { proofPurpose, stsHost } from '../../contract/identity-proof.js';
import { type ValidateConfig, validateRestore } from '../../lambda/restore-validate/validate.js';
import { awsError, EXECUTION_ARN, NOW, now, SOURCE, STARTED_AT, TARGET } from '../support/restore-lambdas.js';
import { type StsIdentity, StsStandin } from '../support/sts-standin.js';

/**
 * The form of every bad input is tested through the state machine in test/workflows/restore.test.ts ("restore input
 * validation"); this file covers the function's own branches: the plan it builds, AWS answers, proofs, env at load.
 */

const REGION = 'ap-northeast-2';
const ACCOUNT = '111111111111';
const ALICE: StsIdentity = {
  accessKeyId: 'ASIAALICE',
  secretAccessKey: 'alice-secret',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/DbOperator/alice`,
  account: ACCOUNT,
};
const rdsMock = mockClient(RDSClient);
const rds = new RDSClient({ region: REGION });
let sts: StsStandin;
let config: ValidateConfig;
const execution = { Id: EXECUTION_ARN, Name: 'incident-1', StartTime: STARTED_AT };
const LATEST = new Date('2026-11-26T05:35:00.000Z');

const source = (extra: Partial<DBInstance> = {}): DBInstance => ({
  DBInstanceIdentifier: SOURCE,
  DbiResourceId: 'db-AUTHDBDEV',
  DBInstanceClass: 'db.r6g.large',
  DBInstanceStatus: 'available',
  Endpoint: { Address: 'authdb-dev.example', Port: 5432 },
  LatestRestorableTime: LATEST,
  MultiAZ: true,
  DBSubnetGroup: { DBSubnetGroupName: 'authdb-dev-subnets' },
  VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0db' }],
  DBParameterGroups: [{ DBParameterGroupName: 'authdb-dev-params' }],
  StorageType: 'gp3',
  BackupRetentionPeriod: 14,
  IAMDatabaseAuthenticationEnabled: true,
  EnabledCloudwatchLogsExports: ['postgresql'],
  PerformanceInsightsEnabled: true,
  PerformanceInsightsKMSKeyId: 'pi-key',
  PerformanceInsightsRetentionPeriod: 7,
  MonitoringInterval: 60,
  MonitoringRoleArn: 'arn:aws:iam::111111111111:role/rds-monitoring',
  MasterUserSecret: { KmsKeyId: 'secret-key' },
  ...extra,
});

function given(instance: DBInstance | undefined): void {
  rdsMock.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier: string }) => {
    if (instance && input.DBInstanceIdentifier === instance.DBInstanceIdentifier) return { DBInstances: [instance] };
    throw new DBInstanceNotFoundFault({ message: `${input.DBInstanceIdentifier} not found`, $metadata: {} });
  });
}

beforeAll(async () => {
  sts = new StsStandin([ALICE], stsHost(REGION), now);
  config = {
    environment: 'dev',
    sourceInstanceId: SOURCE,
    allowedInstanceClasses: ['db.t4g.medium'],
    dataLossAcknowledgementAfterHours: 1,
    approvalRequired: false,
    identity: { stsHost: stsHost(REGION), stsEndpoint: await sts.start(), account: ACCOUNT },
  };
});
afterAll(() => sts?.stop());
beforeEach(() => {
  rdsMock.reset();
  given(source());
  rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
    DBInstanceAutomatedBackups: [
      { DbiResourceId: 'db-AUTHDBDEV', RestoreWindow: { EarliestTime: new Date('2026-11-19T00:00:00Z') } },
    ],
  });
});

const validate = (input: Record<string, unknown>, overrides: Partial<ValidateConfig> = {}) =>
  validateRestore(
    { input: { sourceInstanceId: SOURCE, targetInstanceId: TARGET, ...input }, execution },
    { ...config, ...overrides },
    { rds, now },
  );

describe('validateRestore', () => {
  it("plans a point-in-time restore with the source's settings, checking the time against this instance's window", async () => {
    const plan = await validate({ restoreTime: '2026-11-26T14:30:00+09:00' });
    expect(plan).toEqual({
      environment: 'dev',
      mode: 'point-in-time',
      sourceInstanceId: SOURCE,
      targetInstanceId: TARGET,
      instanceClass: 'db.r6g.large',
      useLatestRestorableTime: false,
      restoreTime: '2026-11-26T05:30:00.000Z',
      source: { host: 'authdb-dev.example', port: 5432 },
      settings: {
        instanceClass: 'db.r6g.large',
        multiAz: true,
        subnetGroupName: 'authdb-dev-subnets',
        securityGroupIds: ['sg-0db'],
        parameterGroupName: 'authdb-dev-params',
        storageType: 'gp3',
        backupRetentionDays: 14,
        iamAuth: true,
        logExports: ['postgresql'],
        performanceInsightsKmsKeyId: 'pi-key',
        performanceInsightsRetentionDays: 7,
        monitoringIntervalSeconds: 60,
        monitoringRoleArn: 'arn:aws:iam::111111111111:role/rds-monitoring',
        masterSecretKmsKeyId: 'secret-key',
      },
      cutover: false,
      preRestoreInstanceId: 'authdb-dev-pre-restore-202611260540',
      executionArn: EXECUTION_ARN,
      executionName: 'incident-1',
      startedAt: STARTED_AT,
    });
    expect(rdsMock.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]!.args[0].input).toEqual({
      DbiResourceId: 'db-AUTHDBDEV',
    });
  });

  it('restores "latest" without looking at the window, and counts nothing on a source that is not available', async () => {
    given(source({ DBInstanceStatus: 'storage-full' }));
    const plan = await validate({ restoreTime: 'latest' });
    expect(plan).toMatchObject({ useLatestRestorableTime: true, source: null });
    expect(plan.restoreTime).toBeUndefined();
    expect(rdsMock.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)).toHaveLength(0);
  });

  it("always allows the source's own class, and leaves Performance Insights off when the source has it off", async () => {
    given(source({ DBInstanceClass: 'db.m7g.large', PerformanceInsightsEnabled: false, MonitoringInterval: 0 }));
    const plan = await validate({ restoreTime: 'latest', instanceClass: 'db.m7g.large' });
    expect(plan.instanceClass).toBe('db.m7g.large');
    expect(plan.settings.performanceInsightsKmsKeyId).toBeUndefined();
    expect(plan.settings.monitoringIntervalSeconds).toBeUndefined();
    await expect(validate({ restoreTime: 'latest', instanceClass: 'db.r6g.large' })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: 'Invalid restore input: instanceClass = "db.r6g.large"; allowed: db.m7g.large, db.t4g.medium',
    });
  });

  it('fails with SourceNotAvailable when the source does not exist, pointing at the retained backups', async () => {
    given(undefined);
    await expect(validate({ restoreTime: 'latest' })).rejects.toMatchObject({
      name: 'SourceNotAvailable',
      message:
        `Source instance ${SOURCE} does not exist; restore it from its retained automated backups ` +
        '(see the runbook: instance deleted by accident)',
    });
  });

  it('fails with RecoveryPointOutsideWindow when the source has no restorable window', async () => {
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [] });
    await expect(validate({ restoreTime: '2026-11-26T05:30:00Z' })).rejects.toMatchObject({
      name: 'RecoveryPointOutsideWindow',
      message: `Source ${SOURCE} has no restorable window: are automated backups enabled?`,
    });
  });

  it('accepts the edges of the window and refuses one millisecond beyond either', async () => {
    await expect(validate({ restoreTime: '2026-11-19T00:00:00.000Z' })).resolves.toBeDefined();
    await expect(validate({ restoreTime: LATEST.toISOString() })).resolves.toBeDefined();
    for (const time of ['2026-11-18T23:59:59.999Z', '2026-11-26T05:35:00.001Z']) {
      await expect(validate({ restoreTime: time })).rejects.toMatchObject({
        name: 'RecoveryPointOutsideWindow',
        message:
          `Invalid restore input: restoreTime = "${time}" is outside the restorable window; allowed: from ` +
          `2026-11-19T00:00:00.000Z to ${LATEST.toISOString()} (or "latest")`,
      });
    }
  });

  it('lets an RDS error other than not-found through instead of guessing', async () => {
    rdsMock.on(DescribeDBInstancesCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(validate({ restoreTime: 'latest' })).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('refuses a snapshot ARN of another account before asking RDS anything', async () => {
    const arn = `arn:aws:rds:${REGION}:999999999999:snapshot:rds:authdb-dev-2026-11-25`;
    await expect(validate({ snapshotIdentifier: arn })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining(
        `is of account 999999999999; allowed: an RDS snapshot of partition aws, region ${REGION}, account ${ACCOUNT}`,
      ),
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it('refuses an event without the execution context', async () => {
    await expect(validateRestore({ input: { sourceInstanceId: SOURCE } }, config, { rds, now })).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Invalid restore event: execution = missing'),
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });
});

describe('validateRestore cutover', () => {
  const confirm = { confirmSourceInstanceId: SOURCE };

  it('needs a proof of who starts it where a second person approves, before checking anything else', async () => {
    await expect(
      validate({ restoreTime: 'latest', cutover: confirm }, { approvalRequired: true }),
    ).rejects.toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('cutover.identityProof = missing; allowed: a proof of who starts the cutover'),
    });
  });

  it('names the starter from the proof STS accepts, and records that approval is required', async () => {
    const identityProof = await createIdentityProof(ALICE, REGION, proofPurpose('start', EXECUTION_ARN), NOW);
    const plan = await validate(
      { restoreTime: 'latest', cutover: { ...confirm, identityProof } },
      { approvalRequired: true },
    );
    expect(plan).toMatchObject({ cutover: true, approvalRequired: true, startedBy: ALICE.arn });
  });

  it('refuses a proof made for the approval instead of the start', async () => {
    const identityProof = await createIdentityProof(ALICE, REGION, proofPurpose('approve', EXECUTION_ARN), NOW);
    await expect(validate({ restoreTime: 'latest', cutover: { ...confirm, identityProof } })).rejects.toMatchObject({
      name: 'InvalidIdentityProof',
    });
  });

  it("measures the data loss of a cutover to 'latest' from the source's latest restorable time", async () => {
    // Latest restorable 6 minutes before NOW: 0.1 h, within the 1 h this config cuts over to freely.
    await expect(validate({ restoreTime: 'latest', cutover: confirm })).resolves.toMatchObject({ cutover: true });
    await expect(
      validate({ restoreTime: 'latest', cutover: confirm }, { dataLossAcknowledgementAfterHours: 0 }),
    ).rejects.toMatchObject({
      name: 'DataLossNotAcknowledged',
      message: expect.stringContaining('cutover.acceptDataLossHours = missing; allowed: at least 0.1'),
    });
  });

  it('asks no acknowledgement of a restore without cutover, however old its point', async () => {
    await expect(
      validate({ restoreTime: '2026-11-19T00:00:00Z' }, { dataLossAcknowledgementAfterHours: 0 }),
    ).resolves.toMatchObject({ cutover: false });
  });
});

describe('restore-validate handler', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  function stubEnv(): void {
    vi.stubEnv('ENVIRONMENT', 'dev');
    vi.stubEnv('SOURCE_INSTANCE_ID', SOURCE);
    vi.stubEnv('ALLOWED_INSTANCE_CLASSES', '["db.t4g.medium"]');
    vi.stubEnv('DATA_LOSS_ACK_AFTER_HOURS', '1');
    vi.stubEnv('APPROVAL_REQUIRED', 'false');
    vi.stubEnv('STS_HOST', stsHost(REGION));
    vi.stubEnv('ACCOUNT', ACCOUNT);
  }

  it('plans with the source and classes of its environment', async () => {
    stubEnv();
    const { handler } = await import('../../lambda/restore-validate/handler.js');
    const plan = await handler({
      input: {
        sourceInstanceId: SOURCE,
        targetInstanceId: TARGET,
        restoreTime: 'latest',
        instanceClass: 'db.t4g.medium',
      },
      execution,
    });
    expect(plan).toMatchObject({ environment: 'dev', instanceClass: 'db.t4g.medium', cutover: false });
  });

  it('fails at load naming a missing variable', async () => {
    stubEnv();
    vi.stubEnv('SOURCE_INSTANCE_ID', '');
    await expect(import('../../lambda/restore-validate/handler.js')).rejects.toThrow(
      'Missing environment variable SOURCE_INSTANCE_ID',
    );
  });

  it.each([
    ['ALLOWED_INSTANCE_CLASSES', 'db.t4g.medium', 'Environment variable ALLOWED_INSTANCE_CLASSES must be JSON'],
    ['ALLOWED_INSTANCE_CLASSES', '["t4g.medium"]', 'Invalid environment variable ALLOWED_INSTANCE_CLASSES'],
    ['ALLOWED_INSTANCE_CLASSES', '[]', 'Invalid environment variable ALLOWED_INSTANCE_CLASSES'],
    // NaN would make every cutover ask for a data-loss acknowledgement, silently.
    [
      'DATA_LOSS_ACK_AFTER_HOURS',
      'abc',
      'Environment variable DATA_LOSS_ACK_AFTER_HOURS must be a number >= 0, got "abc"',
    ],
    [
      'DATA_LOSS_ACK_AFTER_HOURS',
      '-1',
      'Environment variable DATA_LOSS_ACK_AFTER_HOURS must be a number >= 0, got "-1"',
    ],
  ])('fails at load naming %s when it is %j', async (name, value, message) => {
    stubEnv();
    vi.stubEnv(name, value);
    await expect(import('../../lambda/restore-validate/handler.js')).rejects.toThrow(message);
  });
});
