import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { ConfigError, loadConfig, validateEnvironment } from '../../lib/config/load.js';
import type { EnvironmentInput } from '../../lib/config/schema.js';

function devWith(cutover: unknown) {
  const input = structuredClone(ENVIRONMENTS.dev!) as EnvironmentInput;
  (input as { cutover: unknown }).cutover = cutover;
  return () => validateEnvironment('dev', input);
}

describe('cutover config', () => {
  it('asks for a data-loss acknowledgement beyond one hour in every environment, and by default', () => {
    for (const env of ['dev', 'staging', 'prod'])
      expect(loadConfig(env).cutover.dataLossAcknowledgementAfterHours).toBe(1);
    expect(devWith({})().cutover).toEqual({
      dataLossAcknowledgementAfterHours: 1,
      requireApproval: true,
      approvalTimeoutMinutes: 60,
    });
  });

  it('requires a second person to approve a cutover in prod and staging (one hour), not in dev', () => {
    expect(loadConfig('prod').cutover).toMatchObject({ requireApproval: true, approvalTimeoutMinutes: 60 });
    expect(loadConfig('staging').cutover).toMatchObject({ requireApproval: true, approvalTimeoutMinutes: 60 });
    expect(loadConfig('dev').cutover.requireApproval).toBe(false);
  });

  it.each([
    [{ dataLossAcknowledgementAfterHours: 0 }, 'cutover.dataLossAcknowledgementAfterHours = 0'],
    [
      { dataLossAcknowledgementAfterHours: 900 },
      'cutover.dataLossAcknowledgementAfterHours = 900; allowed: 0.25 to 840',
    ],
    [{ dataLossAcknowledgementAfterHours: '1' }, 'cutover.dataLossAcknowledgementAfterHours = "1"'],
    [{ skipApproval: true }, 'cutover.skipApproval: unknown field(s)'],
    [{ requireApproval: 'yes' }, 'cutover.requireApproval = "yes"'],
    [{ approvalTimeoutMinutes: 4 }, 'cutover.approvalTimeoutMinutes = 4; allowed: 5 to 720 minutes'],
    [{ approvalTimeoutMinutes: 721 }, 'cutover.approvalTimeoutMinutes = 721; allowed: 5 to 720 minutes'],
    [{ approvalTimeoutMinutes: 30.5 }, 'cutover.approvalTimeoutMinutes = 30.5'],
  ])('rejects %j naming the environment and the field', (cutover, message) => {
    expect(devWith(cutover)).toThrow(ConfigError);
    expect(devWith(cutover)).toThrow(/environment "dev"/);
    expect(devWith(cutover)).toThrow(message);
  });
});
