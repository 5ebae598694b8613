import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { definitionFrom } from '../support/state-machine.js';

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON; the assertions check its shape.
type Cfn = any;

interface CfnResource {
  Type: string;
  Properties: Record<string, Cfn>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** An ASL state, as far as these assertions read it. */
interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; ResultPath?: string; Next: string }[];
  Retry?: { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number }[];
  Seconds?: number;
  QueryLanguage?: string;
}

/** The one resource of `type` whose logical id starts with `prefix`. */
function one(template: Template, type: string, prefix: string): { id: string; resource: CfnResource } {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  expect(
    found.map(([id]) => id),
    `exactly one ${type} ${prefix}*`,
  ).toHaveLength(1);
  return { id: found[0]![0], resource: found[0]![1] as CfnResource };
}

function all(template: Template, type: string): [string, CfnResource][] {
  return Object.entries(template.findResources(type)) as [string, CfnResource][];
}

const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

/** The export a cross-stack reference imports, or undefined for anything else. */
function importName(value: unknown): string | undefined {
  return (value as { 'Fn::ImportValue'?: string } | undefined)?.['Fn::ImportValue'];
}

describe.each(['dev', 'prod'] as const)('recovery stack (%s)', (env) => {
  const template = templateOf(env, 'recovery');
  const config = loadConfig(env);
  const drill = config.drill;
  const machine = one(template, 'AWS::StepFunctions::StateMachine', 'DrillStateMachine');
  const fn = (prefix: string) => one(template, 'AWS::Lambda::Function', prefix);
  const cleanupFn = fn('DrillDrillCleanup');
  const sweeperFn = fn('DrillDrillSweeper');
  const verifierFn = fn('DrillDrillVerifier');
  const reportFn = fn('DrillDrillReport');
  const restoreFn = fn('DrillDrillRestore');
  const alertTopic = reportFn.resource.Properties.Environment.Variables.ALERT_TOPIC_ARN;

  describe('drill state machine', () => {
    const definition = definitionFrom(template, 'DrillStateMachine') as unknown as {
      StartAt: string;
      TimeoutSeconds?: number;
      QueryLanguage?: string;
      States: Record<string, AslState>;
    };
    const states = definition.States;
    const names = (type: string) =>
      Object.entries(states)
        .filter(([, s]) => s.Type === type)
        .map(([name]) => name);
    /** Where a transition really goes: through Pass states, which only record what happened. */
    const landsOn = (name: string): string => {
      const seen = new Set<string>();
      let current = name;
      while (states[current]?.Type === 'Pass' && !seen.has(current)) {
        seen.add(current);
        current = states[current]!.Next!;
      }
      return current;
    };

    it(`is a STANDARD state machine named authdb-dr-${env}-drill, traced, logging everything to an encrypted log group`, () => {
      const props = machine.resource.Properties;
      expect(props.StateMachineName).toBe(`authdb-dr-${env}-drill`);
      expect(props.StateMachineType).toBe('STANDARD');
      expect(props.TracingConfiguration).toEqual({ Enabled: true });
      expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
      const destinations = props.LoggingConfiguration.Destinations as Cfn[];
      expect(destinations).toHaveLength(1);
      const logGroupArn = destinations[0].CloudWatchLogsLogGroup.LogGroupArn;
      expect(logGroupArn['Fn::GetAtt'][1]).toBe('Arn');
      const logGroup = template.toJSON().Resources[logGroupArn['Fn::GetAtt'][0]] as CfnResource;
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(importName(logGroup.Properties.KmsKeyId)).toMatch(new RegExp(`^authdb-dr-${env}-database:.*DatabaseKey`));
      expect(logGroup.Properties.RetentionInDays).toBe(config.logRetentionDays);
    });

    it('times out only after the longest legitimate drill: the maximum wait plus the wait for the source', () => {
      const longestWaits = (drill.maxWaitMinutes + 15) * 60;
      expect(definition.TimeoutSeconds).toBeGreaterThan(longestWaits);
    });

    it('starts with Preflight, whose failure ends the execution at once (nothing exists yet)', () => {
      expect(definition.StartAt).toBe('Preflight');
      const catches = states.Preflight!.Catch!;
      expect(catches).toHaveLength(1);
      expect(catches[0]!.ErrorEquals).toEqual(['States.ALL']);
      expect(states[catches[0]!.Next]!.Type).toBe('Fail');
    });

    it('gives every Choice state a Default', () => {
      const choices = names('Choice');
      expect(choices.length).toBeGreaterThanOrEqual(4);
      for (const name of choices) {
        const target = states[name]!.Default;
        expect(target, `${name} has a Default`).toBeDefined();
        expect(states[target!], `${name}'s Default exists`).toBeDefined();
      }
    });

    it('sends a failure of every task after Preflight through Cleanup', () => {
      const tasks = names('Task');
      expect(tasks.sort()).toEqual(
        [
          'Preflight',
          'CountSource',
          'CheckSourceRestorable',
          'RequestRestore',
          'CheckScratch',
          'Verify',
          'Cleanup',
          'Report',
        ].sort(),
      );
      for (const task of tasks.filter((t) => !['Preflight', 'Cleanup', 'Report'].includes(t))) {
        const catches = states[task]!.Catch ?? [];
        expect(catches, `${task} catches every error`).toEqual([
          expect.objectContaining({ ErrorEquals: ['States.ALL'], ResultPath: '$.error' }),
        ]);
        expect(landsOn(catches[0]!.Next), `${task}'s Catch leads to Cleanup`).toBe('Cleanup');
      }
      // Cleanup itself reports its failure; a failed report still reaches the outcome.
      expect(states.Cleanup!.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.cleanupError', Next: 'Report' },
      ]);
      expect(landsOn(states.Report!.Catch![0]!.Next)).toBe('Outcome');
    });

    it('sends every failure decided by a Choice through Cleanup too', () => {
      for (const pass of ['ScratchFailed', 'ScratchTimedOut', 'SourceNotRestorable', 'VerificationMismatch']) {
        expect(states[pass]!.Type).toBe('Pass');
        expect(landsOn(pass), pass).toBe('Cleanup');
      }
    });

    it('retries a throttled Cleanup', () => {
      const retry = (states.Cleanup!.Retry ?? []).find((r) => r.ErrorEquals.includes('Throttling'));
      expect(retry).toBeDefined();
      expect(retry!.ErrorEquals).toEqual(expect.arrayContaining(['Throttling', 'ThrottlingException']));
      expect(retry!.MaxAttempts).toBeGreaterThan(1);
    });

    it('polls the scratch instance at the configured interval', () => {
      expect(states.WaitForScratch).toMatchObject({ Type: 'Wait', Seconds: drill.pollSeconds, Next: 'CheckScratch' });
    });

    it('uses JSONPath, nowhere JSONata', () => {
      expect(definition.QueryLanguage).not.toBe('JSONata');
      for (const [name, state] of Object.entries(states)) expect(state.QueryLanguage, name).not.toBe('JSONata');
      expect(JSON.stringify(machine.resource.Properties.DefinitionString)).not.toContain('JSONata');
    });
  });

  it('starts the drill weekly on Wednesday 10:00 Asia/Seoul with input {}', () => {
    const { resource } = one(template, 'AWS::Scheduler::Schedule', 'DrillSchedule');
    expect(resource.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 10 ? * WED *)',
      ScheduleExpressionTimezone: 'Asia/Seoul',
      State: 'ENABLED',
      Target: { Arn: { Ref: machine.id }, Input: '{}' },
    });
  });

  it('cleans up after a FAILED, TIMED_OUT or ABORTED execution of this state machine, with a dead-letter queue', () => {
    const { resource } = one(template, 'AWS::Events::Rule', 'DrillCleanupAfterAbnormalEnd');
    expect(resource.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: machine.id }] },
    });
    const targets = resource.Properties.Targets as Cfn[];
    expect(targets).toHaveLength(1);
    expect(targets[0].Arn).toEqual(getAtt(cleanupFn.id, 'Arn'));
    const dlq = targets[0].DeadLetterConfig.Arn['Fn::GetAtt'][0] as string;
    expect(template.toJSON().Resources[dlq].Type).toBe('AWS::SQS::Queue');
    expect(targets[0].RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  });

  it('sweeps abandoned scratch instances hourly, older than 6 hours', () => {
    const { resource } = one(template, 'AWS::Events::Rule', 'DrillSweepHourly');
    expect(resource.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(resource.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: getAtt(sweeperFn.id, 'Arn'), DeadLetterConfig: expect.anything() }),
    ]);
    expect(sweeperFn.resource.Properties.Environment.Variables.MAX_AGE_HOURS).toBe('6');
  });

  describe('network', () => {
    const scratch = one(template, 'AWS::EC2::SecurityGroup', 'DrillScratchSecurityGroup');
    const verifierSg = one(template, 'AWS::EC2::SecurityGroup', 'DrillVerifierSecurityGroup');
    const rulesOf = (type: string, groupId: string) =>
      all(template, type)
        .map(([, r]) => r.Properties)
        .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(getAtt(groupId, 'GroupId')));
    const postgresFrom = (peer: Cfn) => ({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, ...peer });

    it('admits to scratch instances only PostgreSQL from the verifier, and lets nothing out', () => {
      expect(scratch.resource.Properties.SecurityGroupIngress).toBeUndefined();
      expect(rulesOf('AWS::EC2::SecurityGroupIngress', scratch.id)).toEqual([
        expect.objectContaining(postgresFrom({ SourceSecurityGroupId: getAtt(verifierSg.id, 'GroupId') })),
      ]);
      // CDK's placeholder for "no egress": a rule that matches no traffic.
      expect(scratch.resource.Properties.SecurityGroupEgress).toEqual([
        expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp', FromPort: 252, ToPort: 86 }),
      ]);
      expect(rulesOf('AWS::EC2::SecurityGroupEgress', scratch.id)).toEqual([]);
      // The scratch instances are restored into this group.
      expect(restoreFn.resource.Properties.Environment.Variables.DRILL_SECURITY_GROUP_ID).toEqual(
        getAtt(scratch.id, 'GroupId'),
      );
    });

    it('lets the verifier out only to PostgreSQL on the scratch instances and the database, and nothing in', () => {
      expect(verifierSg.resource.Properties.SecurityGroupEgress ?? []).toEqual([]);
      expect(verifierSg.resource.Properties.SecurityGroupIngress).toBeUndefined();
      expect(rulesOf('AWS::EC2::SecurityGroupIngress', verifierSg.id)).toEqual([]);
      const egress = rulesOf('AWS::EC2::SecurityGroupEgress', verifierSg.id);
      expect(egress).toHaveLength(2);
      expect(egress).toContainEqual(
        expect.objectContaining(postgresFrom({ DestinationSecurityGroupId: getAtt(scratch.id, 'GroupId') })),
      );
      const toDatabase = egress.find((e) => importName(e.DestinationSecurityGroupId));
      expect(toDatabase).toMatchObject(postgresFrom({}));
      expect(importName(toDatabase!.DestinationSecurityGroupId)).toMatch(
        new RegExp(`^authdb-dr-${env}-database:.*DatabaseSecurityGroup`),
      );
    });

    it("opens the database's security group to the verifier from this stack", () => {
      const toDatabase = rulesOf('AWS::EC2::SecurityGroupEgress', verifierSg.id).find((e) =>
        importName(e.DestinationSecurityGroupId),
      )!;
      const ingress = all(template, 'AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties)
        .filter(
          (p) =>
            JSON.stringify(p.SourceSecurityGroupId) === JSON.stringify(getAtt(verifierSg.id, 'GroupId')) &&
            importName(p.GroupId) !== undefined,
        );
      expect(ingress).toEqual([
        expect.objectContaining(
          postgresFrom({
            GroupId: toDatabase.DestinationSecurityGroupId,
            SourceSecurityGroupId: getAtt(verifierSg.id, 'GroupId'),
          }),
        ),
      ]);
    });
  });

  it('keeps drill reports in a retained, versioned, KMS-encrypted, SSL-only, private bucket', () => {
    const { id, resource } = one(template, 'AWS::S3::Bucket', 'Reports7');
    const props = resource.Properties;
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.UpdateReplacePolicy).toBe('Retain');
    const sse = props.BucketEncryption.ServerSideEncryptionConfiguration as Cfn[];
    expect(sse).toHaveLength(1);
    expect(sse[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
    expect(importName(sse[0].ServerSideEncryptionByDefault.KMSMasterKeyID)).toMatch(/DatabaseKey/);
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(props.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({ ExpirationInDays: drill.reportRetentionDays, Status: 'Enabled' }),
    );
    const policies = all(template, 'AWS::S3::BucketPolicy').filter(([, p]) => p.Properties.Bucket?.Ref === id);
    expect(policies).toHaveLength(1);
    expect(policies[0]![1].Properties.PolicyDocument.Statement).toContainEqual({
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Resource: [getAtt(id, 'Arn'), { 'Fn::Join': ['', [getAtt(id, 'Arn'), '/*']] }],
    });
    // The report function writes to this bucket.
    expect(reportFn.resource.Properties.Environment.Variables.REPORT_BUCKET).toEqual({ Ref: id });
  });

  describe('alarms', () => {
    const prefix = `authdb-dr-${env}-drill-`;
    const alarms = Object.fromEntries(
      all(template, 'AWS::CloudWatch::Alarm')
        .map(([, r]) => r.Properties)
        .filter((p) => String(p.AlarmName).startsWith(prefix))
        .map((p) => [String(p.AlarmName).slice(prefix.length), p]),
    ) as Record<string, Cfn>;
    const drillMetric = (name: string) => ({
      Namespace: 'AuthDbDr',
      MetricName: name,
      Dimensions: [
        { Name: 'Environment', Value: env },
        { Name: 'service', Value: 'dr-drill' },
      ],
    });

    it('raises exactly the five drill alarms, each to the alert topic', () => {
      expect(Object.keys(alarms).sort()).toEqual(
        [
          'AbandonedScratchInstance',
          'ExecutionFailed',
          'RpoAboveTarget',
          'RtoAboveTarget',
          'VerificationMismatch',
        ].sort(),
      );
      expect(importName(alertTopic)).toMatch(new RegExp(`^authdb-dr-${env}-backup:.*Alerts`));
      for (const [name, alarm] of Object.entries(alarms)) {
        expect(alarm.AlarmActions, name).toEqual([alertTopic]);
        expect(alarm.ComparisonOperator, name).toBe('GreaterThanOrEqualToThreshold');
        expect(alarm.TreatMissingData, name).toBe('notBreaching');
      }
    });

    it('alarms above the RTO target (15 min) and the RPO target plus margin ((5 + 2) min)', () => {
      expect(alarms.RtoAboveTarget).toMatchObject({ ...drillMetric('RtoSeconds'), Threshold: 901 });
      expect(alarms.RpoAboveTarget).toMatchObject({ ...drillMetric('RpoLagSeconds'), Threshold: 421 });
      expect(alarms.VerificationMismatch).toMatchObject({ ...drillMetric('MismatchedTables'), Threshold: 1 });
      expect(alarms.AbandonedScratchInstance).toMatchObject({ ...drillMetric('OrphanedDrillInstances'), Threshold: 1 });
    });

    it('counts failed, timed-out and aborted executions of the drill together', () => {
      const alarm = alarms.ExecutionFailed;
      expect(alarm.Threshold).toBe(1);
      const metrics = alarm.Metrics as Cfn[];
      const returned = metrics.filter((m) => m.ReturnData);
      expect(returned).toHaveLength(1);
      const terms = (returned[0].Expression as string).split('+').map((t) => t.trim());
      const byId = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat]));
      expect(terms.map((t) => /^FILL\((\w+), 0\)$/.exec(t)?.[1])).toEqual(Object.keys(byId));
      expect(
        Object.values(byId)
          .map((s: Cfn) => s.Metric.MetricName)
          .sort(),
      ).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const stat of Object.values(byId) as Cfn[]) {
        expect(stat).toMatchObject({
          Stat: 'Sum',
          Metric: { Namespace: 'AWS/States', Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machine.id } }] },
        });
      }
    });
  });

  describe('functions', () => {
    it('runs the verifier in the isolated subnets as authdb_verifier, over the three tables', () => {
      const props = verifierFn.resource.Properties;
      const subnets = props.VpcConfig.SubnetIds as Cfn[];
      expect(subnets).toHaveLength(3);
      for (const subnet of subnets) {
        expect(importName(subnet)).toMatch(new RegExp(`^authdb-dr-${env}-database:.*isolatedSubnet\\dSubnet`));
      }
      expect(props.VpcConfig.SecurityGroupIds).toEqual([
        getAtt(one(template, 'AWS::EC2::SecurityGroup', 'DrillVerifierSecurityGroup').id, 'GroupId'),
      ]);
      const variables = props.Environment.Variables;
      expect(variables.VERIFIER_USER).toBe('authdb_verifier');
      expect(JSON.parse(variables.TABLES)).toEqual([
        { name: 'users', timeColumn: 'created_at', tolerance: 0 },
        { name: 'platform_accounts', timeColumn: 'created_at', tolerance: 0 },
        { name: 'audit_logs', timeColumn: 'created_at', tolerance: 0 },
      ]);
    });

    it('gives no function a password, secret or token in its environment', () => {
      const functions = all(template, 'AWS::Lambda::Function');
      expect(functions.length).toBeGreaterThanOrEqual(8);
      for (const [id, f] of functions) {
        const variables = (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
        for (const [name, value] of Object.entries(variables)) {
          expect(name, `${id}.${name}`).not.toMatch(/PASSWORD|SECRET|TOKEN|CREDENTIAL/i);
          expect(JSON.stringify(value), `${id}.${name}`).not.toMatch(/password|secret|token|credential/i);
        }
      }
    });
  });

  it('creates the read-only authdb_verifier role in the database at deploy time', () => {
    const { resource } = one(template, 'Custom::VerifierRole', 'VerifierRole');
    expect(resource.Properties.Role).toBe('authdb_verifier');
    expect(resource.Properties.Role).toBe(drill.verifierRole);
    const serviceToken = resource.Properties.ServiceToken['Fn::GetAtt'] as [string, string];
    expect(serviceToken[1]).toBe('Arn');
    expect(template.toJSON().Resources[serviceToken[0]].Type).toBe('AWS::Lambda::Function');
  });
});

describe('recovery stack outputs', () => {
  it.each(['dev', 'prod'] as const)(
    'tells the operator where to start drills and restores, and where reports go (%s)',
    (env) => {
      const outputs = templateOf(env, 'recovery').toJSON().Outputs;
      expect(outputs.DrillStateMachineArn.Value).toEqual({ Ref: expect.stringMatching(/^DrillStateMachine/) });
      expect(outputs.RestoreStateMachineArn.Value).toEqual({ Ref: expect.stringMatching(/^RestoreStateMachine/) });
      expect(outputs.ReportBucketName.Value).toEqual({ Ref: expect.stringMatching(/^Reports/) });
      expect(JSON.stringify(outputs.DashboardUrl.Value)).toContain(`dashboards:name=authdb-dr-${env}`);
    },
  );
});
