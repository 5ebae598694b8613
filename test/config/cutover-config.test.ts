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
  it('needs a second person in staging and prod, not in dev', () => {
    expect(loadConfig('prod').cutover.requireApproval).toBe(true);
    expect(loadConfig('staging').cutover.requireApproval).toBe(true);
    expect(loadConfig('dev').cutover.requireApproval).toBe(false);
  });

  it('defaults to approval required, a one-hour approval window and acknowledgement beyond one hour', () => {
    expect(devWith({})().cutover).toEqual({
      requireApproval: true,
      approvalTimeoutMinutes: 60,
      dataLossAcknowledgementAfterHours: 1,
    });
  });

  it.each([
    [{ approvalTimeoutMinutes: 2000 }, 'cutover.approvalTimeoutMinutes = 2000; allowed: 5 to 1440 minutes'],
    [{ approvalTimeoutMinutes: 1 }, 'cutover.approvalTimeoutMinutes = 1'],
    [
      { dataLossAcknowledgementAfterHours: 900 },
      'cutover.dataLossAcknowledgementAfterHours = 900; allowed: 0.25 to 840',
    ],
    [{ requireApproval: 'yes' }, 'cutover.requireApproval = "yes"'],
    [{ skipApproval: true }, 'cutover.skipApproval: unknown field(s)'],
  ])('rejects %j naming the environment and the field', (cutover, message) => {
    expect(devWith(cutover)).toThrow(ConfigError);
    expect(devWith(cutover)).toThrow(/environment "dev"/);
    expect(devWith(cutover)).toThrow(message);
  });
});
