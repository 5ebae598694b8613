import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { ConfigError, loadConfig, validateEnvironment } from '../../lib/config/load.js';
import type { EnvironmentInput } from '../../lib/config/schema.js';

function devWith(drRegionDrill: unknown) {
  const input = structuredClone(ENVIRONMENTS.dev!) as EnvironmentInput;
  (input as { drRegionDrill: unknown }).drRegionDrill = drRegionDrill;
  return () => validateEnvironment('dev', input);
}

describe('DR-region drill config', () => {
  it('runs monthly in every environment, and defaults every field', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      expect(loadConfig(env).drRegionDrill).toEqual({
        enabled: true,
        schedule: 'cron(0 14 ? * 3#2 *)',
        backupWaitMinutes: 30,
        primaryCheckTimeoutSeconds: 5,
      });
    }
    expect(devWith({})().drRegionDrill).toEqual(loadConfig('dev').drRegionDrill);
    const input = structuredClone(ENVIRONMENTS.dev!) as Record<string, unknown>;
    delete input.drRegionDrill;
    expect(validateEnvironment('dev', input).drRegionDrill.backupWaitMinutes).toBe(30);
  });

  it.each([
    [{ schedule: 'rate(30 days)' }, 'drRegionDrill.schedule = "rate(30 days)"'],
    [{ backupWaitMinutes: 2 }, 'drRegionDrill.backupWaitMinutes = 2; allowed: 5 to 120 minutes'],
    [{ backupWaitMinutes: 30.5 }, 'drRegionDrill.backupWaitMinutes = 30.5; allowed: a whole number of minutes'],
    [{ primaryCheckTimeoutSeconds: 60 }, 'drRegionDrill.primaryCheckTimeoutSeconds = 60; allowed: 1 to 30 seconds'],
    [{ enabled: 'yes' }, 'drRegionDrill.enabled = "yes"'],
    [{ region: 'eu-west-1' }, 'drRegionDrill.region: unknown field(s)'],
  ])('rejects %j naming the environment and the field', (drRegionDrill, message) => {
    expect(devWith(drRegionDrill)).toThrow(ConfigError);
    expect(devWith(drRegionDrill)).toThrow(/environment "dev"/);
    expect(devWith(drRegionDrill)).toThrow(message);
  });
});
