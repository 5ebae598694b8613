import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { templateOf } from '../support/app.js';

/** One alarm named `name`: any failed, timed-out or aborted execution of `machine` (a logical id), to the alert topic. */
function expectUnsuccessfulAlarm(template: Template, name: string, machine: string): void {
  const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
    (a) => a.Properties.AlarmName === name,
  );
  expect(alarms).toHaveLength(1);
  const props = alarms[0]!.Properties;
  expect(props.Threshold).toBe(1);
  expect(props.TreatMissingData).toBe('notBreaching');
  expect(JSON.stringify(props.AlarmActions)).toMatch(/AlertTopic|Alerts/i);
  const stats = (props.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } } }[])
    .filter((m) => m.MetricStat)
    .map((m) => m.MetricStat!.Metric);
  expect(stats.map((m) => m.MetricName).sort()).toEqual([
    'ExecutionsAborted',
    'ExecutionsFailed',
    'ExecutionsTimedOut',
  ]);
  for (const m of stats) expect(JSON.stringify(m.Dimensions)).toContain(machine);
}

/** Issue 8, finding 1: nothing ends a restore unseen, and a Catch-less end (aborted, timed out) is rolled back. */
describe.each(['dev', 'prod'])('restore roll-back and alarms (%s)', (env) => {
  const template = () => templateOf(env, 'recovery');
  const machineId = (prefix: string) => {
    const ids = Object.keys(template().findResources('AWS::StepFunctions::StateMachine')).filter((id) =>
      id.startsWith(prefix),
    );
    expect(ids).toHaveLength(1);
    return ids[0]!;
  };

  it('starts the roll-back machine for every ABORTED or TIMED_OUT restore execution', () => {
    template().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: machineId('RestoreStateMachine') }] },
      },
      Targets: [
        Match.objectLike({ Arn: { Ref: machineId('RestoreRollBackStateMachine') }, RetryPolicy: Match.anyValue() }),
      ],
    });
  });

  it.each([
    ['RestoreUnsuccessful', 'RestoreStateMachine'],
    ['RollBackUnsuccessful', 'RestoreRollBackStateMachine'],
  ])('alarms (%s) on every failed, timed-out or aborted execution, to the alert topic', (name, machine) => {
    expectUnsuccessfulAlarm(template(), `authdb-dr-${env}-restore-${name}`, machineId(machine));
  });
});

// Issue 8/11: a rewind hands over to the same cutover, so an unseen end of it is as dangerous as a restore's.
describe('rewind alarm (prod, where the delayed replica is)', () => {
  it('alarms on every failed, timed-out or aborted rewind execution, to the alert topic', () => {
    const template = templateOf('prod', 'recovery');
    const [rewindMachine] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine')).filter((id) =>
      id.startsWith('RewindStateMachine'),
    );
    expectUnsuccessfulAlarm(template, 'authdb-dr-prod-rewind-RewindUnsuccessful', rewindMachine!);
  });
});
