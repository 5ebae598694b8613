import { describe, expect, it } from 'vitest';
import { keyAliasName, resourceName, resourcePrefix, stateMachineName } from '../../contract/names.js';

// Deployed names: a change here renames (replaces) resources, so each shape is pinned.
describe('resource names', () => {
  it('builds every name from authdb-dr-<environment>', () => {
    expect(resourcePrefix('prod')).toBe('authdb-dr-prod');
    expect(resourceName('prod', 'restore', 'unsuccessful')).toBe('authdb-dr-prod-restore-unsuccessful');
    expect(resourceName('staging', 'dr-recovery')).toBe('authdb-dr-staging-dr-recovery');
    expect(stateMachineName('prod', 'failover')).toBe('authdb-dr-prod-failover');
  });

  it('builds KMS key aliases as authdb-dr/<environment>/<name>', () => {
    expect(keyAliasName('prod', 'dr-alerts')).toBe('authdb-dr/prod/dr-alerts');
  });
});
