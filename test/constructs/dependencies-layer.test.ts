import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYER_MODULES_DIR, layerContents } from '../../lib/constructs/dependencies-layer.js';

const temp = (name: string) => mkdtempSync(path.join(tmpdir(), `authdb-layer-${name}-`));

describe('dependencies layer cache', () => {
  const cacheRoot = temp('cache');

  it('builds the layer once per hash and copies it from the cache afterwards', () => {
    const first = temp('out');
    layerContents(first, cacheRoot, 'hash-a');
    expect(existsSync(path.join(first, LAYER_MODULES_DIR, 'pg', 'index.js'))).toBe(true);
    // Only the finished layer stays in the cache: no half-built folder next to it.
    expect(readdirSync(cacheRoot)).toEqual(['hash-a']);

    // A file only the cached copy has shows that the second synth copied instead of building.
    writeFileSync(path.join(cacheRoot, 'hash-a', 'from-cache'), '');
    const second = temp('out');
    layerContents(second, cacheRoot, 'hash-a');
    expect(existsSync(path.join(second, 'from-cache'))).toBe(true);
    expect(existsSync(path.join(second, LAYER_MODULES_DIR, '@aws-sdk', 'client-rds', 'index.js'))).toBe(true);

    // Other inputs (a new lock file) give another hash: built afresh, the old copy is not used.
    const third = temp('out');
    layerContents(third, cacheRoot, 'hash-b');
    expect(existsSync(path.join(third, 'from-cache'))).toBe(false);
    expect(existsSync(path.join(third, LAYER_MODULES_DIR, 'pg', 'index.js'))).toBe(true);
  });
});
