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
    expect(devWith({})().cutover).toEqual({ dataLossAcknowledgementAfterHours: 1 });
  });

  it.each([
    [{ dataLossAcknowledgementAfterHours: 0 }, 'cutover.dataLossAcknowledgementAfterHours = 0'],
    [
      { dataLossAcknowledgementAfterHours: 900 },
      'cutover.dataLossAcknowledgementAfterHours = 900; allowed: 0.25 to 840',
    ],
    [{ dataLossAcknowledgementAfterHours: '1' }, 'cutover.dataLossAcknowledgementAfterHours = "1"'],
    [{ skipApproval: true }, 'cutover.skipApproval: unknown field(s)'],
  ])('rejects %j naming the environment and the field', (cutover, message) => {
    expect(devWith(cutover)).toThrow(ConfigError);
    expect(devWith(cutover)).toThrow(/environment "dev"/);
    expect(devWith(cutover)).toThrow(message);
  });
});
