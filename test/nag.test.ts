import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { buildEnvironment } from '../lib/app.js';
import { knownEnvironments, loadConfig } from '../lib/config/load.js';
import { nagViolations, testApp } from './support/app.js';

describe('cdk-nag (AwsSolutions, NIST 800-53 rev 5, HIPAA Security)', () => {
  it('finds nothing unacknowledged in any environment', () => {
    const app = testApp();
    for (const name of knownEnvironments()) buildEnvironment(app, loadConfig(name));
    expect(nagViolations(app)).toEqual([]);
    // Eight stacks an environment, three environments: synth with three rule packs takes minutes on two cores.
  }, 300_000);

  it('reports a new finding (so the test above can fail)', () => {
    const app = testApp();
    const { database } = buildEnvironment(app, loadConfig('dev'));
    new s3.Bucket(database, 'UnencryptedBucket');
    const violations = nagViolations(app);
    expect(violations).toContainEqual({
      rule: 'AwsSolutions-S10',
      path: 'authdb-dr-dev-database/UnencryptedBucket/Resource',
    });
    expect(violations.every((v) => v.path.includes('UnencryptedBucket'))).toBe(true);
  });
});
