import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { ConfigError, knownEnvironments, loadConfig, validateEnvironment } from '../../lib/config/load.js';
import type { EnvironmentInput } from '../../lib/config/schema.js';

/** prod's raw settings with one change to `breakGlass`, validated as environment "prod". */
function validateProdWith(breakGlass: unknown) {
  const input = structuredClone(ENVIRONMENTS.prod!) as EnvironmentInput;
  (input as Record<string, unknown>).breakGlass = breakGlass;
  return () => validateEnvironment('prod', input);
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return expect.fail('expected a ConfigError');
}

const USER = 'arn:aws:iam::333333333333:user/alice';

describe('break-glass configuration', () => {
  it('names at least one trusted IAM user per environment, with one-hour sessions by default', () => {
    for (const name of knownEnvironments()) {
      const { breakGlass, account } = loadConfig(name);
      expect(breakGlass.trustedPrincipalArns.length).toBeGreaterThan(0);
      for (const arn of breakGlass.trustedPrincipalArns)
        expect(arn).toMatch(new RegExp(`^arn:aws:iam::${account}:user/`));
      expect(breakGlass.maxSessionHours).toBe(1);
    }
  });

  it('accepts users and roles, also of another account (a security account), and a longer session', () => {
    const config = validateProdWith({
      trustedPrincipalArns: [USER, 'arn:aws:iam::444444444444:role/security/incident-commander'],
      maxSessionHours: 4,
    })();
    expect(config.breakGlass.maxSessionHours).toBe(4);
  });

  it.each([
    ['an account root', 'arn:aws:iam::333333333333:root'],
    ['a wildcard', '*'],
    ['a wildcard user', 'arn:aws:iam::333333333333:user/*'],
    ['an assumed-role session', 'arn:aws:sts::333333333333:assumed-role/admin/alice'],
    ['a group', 'arn:aws:iam::333333333333:group/admins'],
    ['a short account id', 'arn:aws:iam::3333:user/alice'],
  ])('rejects %s as trusted principal, naming the field, the value and what is allowed', (_, arn) => {
    const message = errorOf(validateProdWith({ trustedPrincipalArns: [USER, arn] }));
    expect(message).toContain('environment "prod"');
    expect(message).toContain(`breakGlass.trustedPrincipalArns.1 = "${arn}"`);
    expect(message).toContain('allowed: the ARN of an IAM user or role');
  });

  it('rejects an empty list and a repeated ARN', () => {
    expect(errorOf(validateProdWith({ trustedPrincipalArns: [] }))).toContain(
      'breakGlass.trustedPrincipalArns = []; allowed: at least one IAM user or role ARN',
    );
    expect(errorOf(validateProdWith({ trustedPrincipalArns: [USER, USER] }))).toContain('allowed: each ARN once');
  });

  it.each([0, 13, 1.5])('rejects a session of %s hours (allowed 1 to 12)', (hours) => {
    const message = errorOf(validateProdWith({ trustedPrincipalArns: [USER], maxSessionHours: hours }));
    expect(message).toContain(`breakGlass.maxSessionHours = ${hours}`);
    expect(message).toMatch(/allowed: (a whole number of hours from 1 to 12|1 to 12 hours)$/m);
  });

  it('rejects a missing section and an unknown field', () => {
    expect(errorOf(validateProdWith(undefined))).toContain('breakGlass');
    expect(errorOf(validateProdWith({ trustedPrincipalArns: [USER], trustEveryone: true }))).toContain('trustEveryone');
  });
});
