import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { failoverInputSchema } from '../lambda/failover-control/control.js';

const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README: region loss', () => {
  it('documents failover inputs the workflow accepts, one per mode', () => {
    const blocks = [...README.matchAll(/<!-- failover-input -->\s*```json\n([\s\S]*?)```/g)].map((m) =>
      JSON.parse(m[1]!),
    );
    expect(blocks.map((b) => b.mode).sort()).toEqual(['pitr', 'promote', 'recovery-point']);
    for (const block of blocks) expect(failoverInputSchema.safeParse(block).error).toBeUndefined();
  });

  it('names the state machine and stacks the app builds', () => {
    expect(README).toContain('authdb-dr-prod-failover');
    expect(README).toContain('`authdb-dr-ENV-dr-recovery`');
    expect(README).toContain('`authdb-dr-ENV-dr-standby`');
  });
});
