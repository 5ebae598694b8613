// Logical ids of stateful resources are a contract with every deployed stack: a changed id makes CloudFormation
// replace the database, a key, a vault or a bucket. stateful-logical-ids.json was taken from the templates before the
// issue-9 refactoring (contract module, dependencies layer) and matched them exactly; a change here must be deliberate.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config/environments.js';
import { statefulIds } from './stateful-ids.js';

const PINNED = JSON.parse(readFileSync(path.join(__dirname, 'stateful-logical-ids.json'), 'utf8')) as Record<
  string,
  Record<string, Record<string, string[]>>
>;

describe('stateful logical ids', () => {
  it('are pinned for every environment', () => {
    expect(Object.keys(PINNED).sort()).toEqual(Object.keys(ENVIRONMENTS).sort());
  });

  it.each(Object.keys(ENVIRONMENTS))(
    '%s: database, parameter and subnet groups, keys, vaults, buckets and retained log groups keep their ids',
    (name) => {
      const ids = statefulIds(name);
      expect(ids).toEqual(PINNED[name]);
      // A pinned list that lost the database would pin nothing that matters.
      expect(PINNED[name]?.database?.['AWS::RDS::DBInstance']?.length).toBeGreaterThan(0);
    },
    300_000,
  );
});
