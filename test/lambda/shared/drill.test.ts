import { describe, expect, it } from 'vitest';
import { scratchInstanceId, stateMachineArnOf } from '../../../lambda/shared/drill.js';
import { EXECUTION_ARN, EXECUTION_NAME, MACHINE_ARN, SCRATCH, STARTED_AT } from '../../support/drill-lambdas.js';

const RDS_IDENTIFIER = /^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,62}(?<!-)$/;

describe('scratchInstanceId', () => {
  it('derives drill-<UTC start minute>-<8 hex of the name>, the same every time', () => {
    expect(scratchInstanceId(STARTED_AT, EXECUTION_NAME)).toBe(SCRATCH);
    expect(scratchInstanceId(new Date(STARTED_AT), EXECUTION_NAME)).toBe(SCRATCH);
    // Seconds do not matter, the zone is normalised to UTC.
    expect(scratchInstanceId('2026-11-25T10:00:59.999+09:00', EXECUTION_NAME)).toBe(SCRATCH);
  });

  it('differs for different execution names started in the same minute', () => {
    const ids = ['a', 'b', 'weekly-2026-11-25-retry', EXECUTION_NAME].map((n) => scratchInstanceId(STARTED_AT, n));
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^drill-202611250100-[0-9a-f]{8}$/);
  });

  it('is a valid RDS identifier of at most 63 characters, whatever the execution name', () => {
    for (const name of ['x', 'A'.repeat(80), 'Wöchentlich_Übung-1', '9-starts-with-digit']) {
      const id = scratchInstanceId('2099-12-31T23:59:00Z', name);
      expect(id.length).toBeLessThanOrEqual(63);
      expect(id).toMatch(RDS_IDENTIFIER);
      expect(id).toMatch(/^drill-209912312359-[0-9a-f]{8}$/);
    }
  });

  it('refuses a start time that is not a time', () => {
    expect(() => scratchInstanceId('yesterday', 'x')).toThrow('Invalid execution start time: yesterday');
  });
});

describe('stateMachineArnOf', () => {
  it("turns an execution ARN into its state machine's ARN", () => {
    expect(stateMachineArnOf(EXECUTION_ARN)).toBe(MACHINE_ARN);
    expect(stateMachineArnOf('arn:aws-cn:states:cn-north-1:111111111111:execution:m:e')).toBe(
      'arn:aws-cn:states:cn-north-1:111111111111:stateMachine:m',
    );
  });

  it('refuses anything but an execution ARN', () => {
    expect(() => stateMachineArnOf(MACHINE_ARN)).toThrow(`Not an execution ARN: ${MACHINE_ARN}`);
    expect(() => stateMachineArnOf('arn:aws:states:x:1:execution:m')).toThrow(
      'Not an execution ARN: arn:aws:states:x:1:execution:m',
    );
  });
});
