import { describe, expect, it } from 'vitest';
import { environmentStacks, templateOf } from '../support/app.js';

describe.each(['dev', 'prod'] as const)('DR-region stack (%s)', (env) => {
  const template = templateOf(env, 'drRegion');

  it('lives in the DR region with termination protection in prod', () => {
    const { drRegion } = environmentStacks(env);
    expect(drRegion.region).toBe('ap-northeast-1');
    expect(drRegion.terminationProtection).toBe(env === 'prod');
  });

  it('holds a retained, rotating key for the replicated automated backups, with a pinned logical id', () => {
    const keys = template.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toContain('ReplicationKey8BAFEBAB');
    const key = keys.ReplicationKey8BAFEBAB;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/authdb-dr/${env}/replicated-backups` });
  });
});
