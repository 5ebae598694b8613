import { describe, expect, it } from 'vitest';
import { cidrsOverlap } from '../../lib/config/dr-site-schema.js';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { ConfigError, loadConfig, validateEnvironment } from '../../lib/config/load.js';
import type { EnvironmentInput } from '../../lib/config/schema.js';

/** `drSite` as raw input: any value may be written, so validation can be shown rejecting it. */
type DrSiteRaw = { standby: Record<string, unknown>; failover: Record<string, unknown>; [field: string]: unknown };

/** A copy of prod's raw settings with one change to `drSite`, validated under prod's name. */
function validateWith(change: (drSite: DrSiteRaw, input: EnvironmentInput) => void) {
  const input = structuredClone(ENVIRONMENTS.prod!) as EnvironmentInput;
  const drSite = structuredClone(input.drSite ?? {}) as DrSiteRaw;
  change(drSite, input);
  input.drSite = drSite as EnvironmentInput['drSite'];
  return () => validateEnvironment('prod', input);
}

function expectConfigError(run: () => unknown, ...parts: string[]) {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const message = (caught as Error).message;
  expect(message).toContain('environment "prod"');
  for (const part of parts) expect(message).toContain(part);
}

describe('DR site configuration as committed', () => {
  it('has the standby on in prod only, each environment with its own DR VPC CIDR', () => {
    const prod = loadConfig('prod');
    expect(prod.drSite.standby).toEqual({ enabled: true, instanceClass: 'db.r6g.large', lagAlarmMarginSeconds: 60 });
    expect(loadConfig('dev').drSite.standby.enabled).toBe(false);
    expect(loadConfig('staging').drSite.standby.enabled).toBe(false);
    const cidrs = ['dev', 'staging', 'prod'].map((e) => loadConfig(e).drSite.vpcCidr);
    expect(new Set(cidrs).size).toBe(3);
  });

  it('defaults every field when an environment says nothing (no standby, a network, the failover timings)', () => {
    const input = structuredClone(ENVIRONMENTS.dev!) as EnvironmentInput;
    delete input.drSite;
    const config = validateEnvironment('dev', input);
    expect(config.drSite.standby.enabled).toBe(false);
    expect(config.drSite.vpcCidr).toBe('10.60.0.0/16');
    expect(config.drSite.failover).toMatchObject({ pollSeconds: 30, promoteTimeoutMinutes: 30 });
  });
});

describe('DR site validation', () => {
  it.each([
    ['vpcCidr', (d: DrSiteRaw) => (d.vpcCidr = '10.52.0.0/8'), 'drSite.vpcCidr = "10.52.0.0/8"; allowed: an IPv4 CIDR'],
    ['standby.enabled', (d: DrSiteRaw) => (d.standby.enabled = 'yes'), 'drSite.standby.enabled = "yes"'],
    [
      'standby.instanceClass',
      (d: DrSiteRaw) => (d.standby.instanceClass = 'r6g.large'),
      'drSite.standby.instanceClass = "r6g.large"; allowed: an RDS instance class',
    ],
    [
      'standby.lagAlarmMarginSeconds',
      (d: DrSiteRaw) => (d.standby.lagAlarmMarginSeconds = -1),
      'drSite.standby.lagAlarmMarginSeconds = -1; allowed: 0 to 3600 seconds',
    ],
    [
      'failover.pollSeconds',
      (d: DrSiteRaw) => (d.failover.pollSeconds = 1),
      'drSite.failover.pollSeconds = 1; allowed: 5 to 120 seconds',
    ],
    [
      'failover.promoteTimeoutMinutes',
      (d: DrSiteRaw) => (d.failover.promoteTimeoutMinutes = 2.5),
      'allowed: a whole number of minutes from 5 to 120',
    ],
    [
      'failover.restoreTimeoutMinutes',
      (d: DrSiteRaw) => (d.failover.restoreTimeoutMinutes = 10),
      'drSite.failover.restoreTimeoutMinutes = 10; allowed: 15 to 240 minutes',
    ],
    [
      'failover.instanceClasses',
      (d: DrSiteRaw) => (d.failover.instanceClasses = []),
      'drSite.failover.instanceClasses = []; allowed: at least one RDS instance class',
    ],
    ['an unknown field', (d: DrSiteRaw) => (d.standbyy = {}), 'drSite.standbyy: unknown field(s)'],
  ])('rejects a bad %s, naming the field and value', (_field, change, message) => {
    expectConfigError(validateWith(change), message);
  });

  it('rejects a DR VPC that overlaps the primary VPC', () => {
    expectConfigError(
      validateWith((d) => (d.vpcCidr = '10.42.128.0/17')),
      'drSite.vpcCidr = "10.42.128.0/17"; allowed: a CIDR that does not overlap the primary VPC (network.vpcCidr 10.42.0.0/16)',
    );
  });

  it('rejects a lag alarm margin that leaves no threshold below the RPO target', () => {
    expectConfigError(
      validateWith((d) => (d.standby.lagAlarmMarginSeconds = 300)),
      'drSite.standby.lagAlarmMarginSeconds = 300; allowed: less than the RPO target (targets.rpoMinutes 5 = 300 seconds)',
    );
  });

  it('computes CIDR overlap on address ranges, not on text', () => {
    expect(cidrsOverlap('10.42.0.0/16', '10.42.255.0/24')).toBe(true);
    expect(cidrsOverlap('10.42.0.0/16', '10.43.0.0/16')).toBe(false);
    expect(cidrsOverlap('10.0.0.0/16', '10.0.0.0/24')).toBe(true);
  });
});
