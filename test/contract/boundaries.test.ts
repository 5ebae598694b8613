import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { LAYER_PACKAGES } from '../../lib/constructs/dependencies-layer.js';

const ROOT = resolve(__dirname, '../..');

/** Every import/export/dynamic-import specifier of a TypeScript file, as written. */
function specifiersOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ROOT, dir, f));
}

/** A relative specifier (`../x.js`) as the repository path of the .ts file it names. */
function resolveRelative(from: string, specifier: string): string {
  return relative(ROOT, resolve(dirname(from), specifier)).replace(/\.js$/, '.ts');
}

describe('module boundaries', () => {
  it('lib/, cli/ and bin/ import nothing from lambda/ (shared names live in contract/)', () => {
    const offenders: string[] = [];
    for (const file of [...tsFiles('lib'), ...tsFiles('cli'), ...tsFiles('bin')]) {
      for (const s of specifiersOf(file)) {
        if (s.startsWith('.') && resolveRelative(file, s).startsWith('lambda/')) {
          offenders.push(`${relative(ROOT, file)} imports ${s}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('contract/ imports only zod, node built-ins and itself (no AWS SDK, no Powertools, no lib/ or lambda/)', () => {
    const offenders: string[] = [];
    for (const file of tsFiles('contract')) {
      for (const s of specifiersOf(file)) {
        const ok =
          s === 'zod' ||
          s.startsWith('node:') ||
          (s.startsWith('.') && resolveRelative(file, s).startsWith('contract/'));
        if (!ok) offenders.push(`${relative(ROOT, file)} imports ${s}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('synth (bin/app.ts and everything it imports) never loads Powertools or the AWS SDK', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const s of specifiersOf(join(ROOT, file))) {
        if (s.startsWith('.')) walk(resolveRelative(join(ROOT, file), s));
        else packages.add(s);
      }
    };
    walk('bin/app.ts');
    expect(seen.size).toBeGreaterThan(20);
    expect([...packages].filter((p) => /^@aws-lambda-powertools\/|^@aws-sdk\//.test(p))).toEqual([]);
  });

  it('every package lambda/ and contract/ import is in the dependencies layer (else each bundle carries its own copy)', () => {
    const layer = new Set<string>(LAYER_PACKAGES);
    const missing = new Set<string>();
    for (const file of [...tsFiles('lambda'), ...tsFiles('contract')]) {
      for (const s of specifiersOf(file)) {
        if (s.startsWith('.') || s.startsWith('node:') || s === 'aws-lambda') continue;
        const name = s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
        if (!layer.has(name)) missing.add(`${relative(ROOT, file)} imports ${name}`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});
