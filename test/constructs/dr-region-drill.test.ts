import { DescribeDBInstanceAutomatedBackupsCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeStateMachineCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DR_REGION_DRILL_METRICS as M, METRICS_NAMESPACE } from '../../contract/metrics.js';
import { publishDrillAge } from '../../lambda/dr-drill-age/age.js';
import { regionOfEndpoint } from '../../lambda/dr-drill-verifier/region.js';
import { replicatedBackups, withTimeout } from '../../lambda/shared/dr-region-drill.js';
import { createMetrics } from '../../lambda/shared/observability.js';
import { nagViolations } from '../support/app.js';
import { drDrillFixture } from '../support/dr-fixture.js';

const rdsMock = mockClient(RDSClient);
const sfnMock = mockClient(SFNClient);
afterAll(() => {
  rdsMock.restore();
  sfnMock.restore();
});
afterEach(() => {
  rdsMock.reset();
  sfnMock.reset();
  vi.restoreAllMocks();
});

describe('DrRegionDrill construct (prod fixture in the DR region)', () => {
  let template: Template;
  let disabled: Template;
  let violations: unknown[];
  // Synthesis is the slow part: done once, before the tests (hook timeout), not inside them.
  beforeAll(() => {
    template = drDrillFixture('prod').template();
    disabled = drDrillFixture('dev', (c) => ({
      ...c,
      drRegionDrill: { ...c.drRegionDrill, enabled: false },
    })).template();
    violations = nagViolations(drDrillFixture('prod').app);
  });

  it('starts the drill monthly in Asia/Seoul time with an empty input', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 14 ? * 3#2 *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      State: 'ENABLED',
      Target: Match.objectLike({ Input: '{}', RetryPolicy: { MaximumRetryAttempts: 0 } }),
    });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'authdb-dr-prod-dr-region-drill',
    });
  });

  it('does not schedule a drill when the config disables it', () => {
    disabled.hasResourceProperties('AWS::Scheduler::Schedule', { State: 'DISABLED' });
  });

  it('cleans up after FAILED, TIMED_OUT and ABORTED executions, and sweeps hourly', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [Match.anyValue()] },
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrRegionDrillDrillCleanup'), 'Arn'] } }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrRegionDrillDrillSweeper'), 'Arn'] } }),
      ],
    });
  });

  it('alarms on a failed drill and on no successful drill in 35 days (missing data breaching)', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    expect(Object.keys(alarms)).toHaveLength(2);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'authdb-dr-prod-dr-region-drill-ExecutionFailed',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [Match.anyValue()],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'authdb-dr-prod-dr-region-drill-NoRecentSuccess',
      Namespace: M.namespace,
      MetricName: M.lastSuccessAge,
      Dimensions: [
        { Name: 'Environment', Value: 'prod' },
        { Name: 'service', Value: 'dr-region-drill' },
      ],
      Period: 86_400,
      Threshold: 35 * 86_400,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(6 hours)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrRegionDrillDrDrillAge'), 'Arn'] } }),
      ],
    });
  });

  it('gives scratch instances isolated subnets, a TLS-only parameter group, and PostgreSQL from the verifier only', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres15',
      Parameters: { 'rds.force_ssl': '1' },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DrRegionDrillScratchSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PostgresClients'), 'GroupId'] },
    });
    const scratch = template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('DR-region drill scratch') },
    });
    expect(Object.values(scratch)[0]!.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' }),
    ]);
  });

  it('gives the functions DR-region names only, except the primary the preflight asks about', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const env = (id: string) =>
      functions[Object.keys(functions).find((k) => k.startsWith(id))!]!.Properties.Environment.Variables;
    expect(env('DrRegionDrillDrDrillPreflight')).toMatchObject({
      PRIMARY_REGION: 'ap-northeast-2',
      PRIMARY_INSTANCE_ID: 'authdb-prod',
      PRIMARY_CHECK_TIMEOUT_MS: '5000',
    });
    expect(env('DrRegionDrillDrDrillVerifier')).toMatchObject({
      CONNECT_TIMEOUT_MS: '10000',
      VERIFIER_USER: 'authdb_verifier',
    });
    const others = Object.keys(functions).filter(
      (k) => k.startsWith('DrRegionDrill') && !k.includes('Preflight') && !k.includes('Verifier'),
    );
    for (const id of others) expect(JSON.stringify(functions[id]!.Properties), id).not.toContain('ap-northeast-2');
  });

  it('has no unacknowledged cdk-nag finding (AwsSolutions, NIST 800-53 r5, HIPAA)', () => {
    expect(violations).toEqual([]);
  });
});

describe('DR-region drill functions', () => {
  it('picks the restorable replicated backups with the newest restore window', async () => {
    const window = (latest: string) => ({
      EarliestTime: new Date('2026-11-01T00:00:00Z'),
      LatestTime: new Date(latest),
    });
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        { DBInstanceAutomatedBackupsArn: 'arn:old', Status: 'retained', RestoreWindow: window('2026-11-20T00:00:00Z') },
        {
          DBInstanceAutomatedBackupsArn: 'arn:new',
          Status: 'replicating',
          RestoreWindow: window('2026-11-30T11:55:00Z'),
        },
        {
          DBInstanceAutomatedBackupsArn: 'arn:pending',
          Status: 'pending',
          RestoreWindow: window('2026-11-30T11:59:00Z'),
        },
      ],
    });
    const found = await replicatedBackups(new RDSClient({}), { sourceInstanceId: 'authdb-prod' });
    expect(found.DBInstanceAutomatedBackupsArn).toBe('arn:new');
    expect(rdsMock.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: 'authdb-prod',
    });
  });

  it('names what it found when no replicated backups can be restored', async () => {
    rdsMock.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [{ DBInstanceAutomatedBackupsArn: 'arn:p', Status: 'pending' }],
    });
    await expect(replicatedBackups(new RDSClient({}), { sourceInstanceId: 'authdb-prod' })).rejects.toMatchObject({
      name: 'SourceNotAvailable',
      message: expect.stringContaining('of authdb-prod in this region (found: pending); allowed: backups in status'),
    });
  });

  it('times out a call that does not answer, and passes one that does', async () => {
    await expect(withTimeout(new Promise(() => {}), 20, 'DescribeDBInstances in ap-northeast-2')).rejects.toThrow(
      'DescribeDBInstances in ap-northeast-2 did not answer within 0.02 s',
    );
    await expect(withTimeout(Promise.resolve(7), 20, 'x')).resolves.toBe(7);
  });

  it('signs the IAM auth token for the region of the instance it connects to', () => {
    expect(regionOfEndpoint('authdb-prod.abcdefghijkl.ap-northeast-2.rds.amazonaws.com', 'ap-northeast-1')).toBe(
      'ap-northeast-2',
    );
    expect(regionOfEndpoint('drill-1.abcdefghijkl.ap-northeast-1.rds.amazonaws.com', 'x')).toBe('ap-northeast-1');
    expect(regionOfEndpoint('127.0.0.1', 'ap-northeast-1')).toBe('ap-northeast-1');
  });

  it('emits, as EMF, the age the no-recent-success alarm reads (last success, else the state machine creation)', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0);
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => lines.push(args.join(' ')));
    const now = new Date('2026-11-30T12:00:00Z');
    const arn = 'arn:aws:states:ap-northeast-1:333333333333:stateMachine:authdb-dr-prod-dr-region-drill';
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: 'e',
          stateMachineArn: arn,
          name: 'n',
          status: 'SUCCEEDED',
          startDate: new Date('2026-11-10T05:00:00Z'),
          stopDate: new Date('2026-11-10T05:30:00Z'),
        },
      ],
    });
    const deps = { sfn: new SFNClient({}), metrics: createMetrics(M.service, 'prod'), now: () => now };
    expect(await publishDrillAge({ stateMachineArn: arn }, deps)).toEqual({
      ageSeconds: 20 * 86_400 + 6.5 * 3600,
      since: '2026-11-10T05:30:00.000Z',
      basis: 'last-success',
    });
    expect(sfnMock.commandCalls(ListExecutionsCommand)[0]!.args[0].input).toMatchObject({ statusFilter: 'SUCCEEDED' });
    const emf = lines
      .map((l) => l.trim())
      .filter((l) => l.startsWith('{') && l.includes('_aws'))
      .map((l) => JSON.parse(l));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      [M.lastSuccessAge]: 20 * 86_400 + 6.5 * 3600,
      Environment: 'prod',
      service: M.service,
    });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
    expect(M.namespace).toBe(METRICS_NAMESPACE);

    sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
    sfnMock.on(DescribeStateMachineCommand).resolves({ creationDate: new Date('2026-11-29T12:00:00Z') } as never);
    const metrics = { addMetric: vi.fn(), publishStoredMetrics: vi.fn() };
    expect(await publishDrillAge({ stateMachineArn: arn }, { ...deps, metrics })).toMatchObject({
      ageSeconds: 86_400,
      basis: 'state-machine-created',
    });
    expect(metrics.addMetric).toHaveBeenCalledWith(M.lastSuccessAge, 'Seconds', 86_400);
  });
});
