import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rewindInputSchema } from '../lambda/shared/rewind.js';

const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README: rewind', () => {
  it('documents rewind inputs the state machine accepts, a dry run among them', () => {
    const inputs = [...README.matchAll(/<!-- rewind-input -->\s*```json\n([\s\S]*?)```/g)].map((m) =>
      JSON.parse(m[1]!),
    );
    expect(inputs.length).toBe(2);
    for (const input of inputs) expect(rewindInputSchema.safeParse(input).error, JSON.stringify(input)).toBeUndefined();
    expect(inputs.some((i) => i.dryRun === true)).toBe(true);
  });
});
