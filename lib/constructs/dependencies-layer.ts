import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';

const REPO_ROOT = path.join(__dirname, '..', '..');

/**
 * The packages every function shares, built once into one layer instead of into each of the ~20 bundles (1.1 MB
 * each before). Their versions are what package-lock.json pins (the layer is built from node_modules as `npm ci`
 * installs them, and its asset hash includes the lock file), so the SDK that runs is the SDK the tests ran.
 */
export const LAYER_PACKAGES = [
  '@aws-sdk/client-backup',
  '@aws-sdk/client-cloudwatch',
  '@aws-sdk/client-rds',
  '@aws-sdk/client-s3',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-sts',
  '@aws-sdk/rds-signer',
  '@aws-lambda-powertools/logger',
  '@aws-lambda-powertools/metrics',
  'pg',
  'zod',
] as const;

/** Lambda puts a layer at /opt; the Node.js runtime resolves packages from /opt/nodejs/node_modules. */
export const LAYER_MODULES_DIR = path.join('nodejs', 'node_modules');

/**
 * Writes each shared package as one minified CommonJS file, `nodejs/node_modules/<package>/index.js`. One esbuild
 * run for all of them: the SDK clients share most of their code, which is then parsed once (2.3 s -> see
 * `npm run bench -- lambda-bundles`).
 */
export function buildDependencies(outputDir: string): void {
  const entries = mkdtempSync(path.join(tmpdir(), 'authdb-layer-'));
  try {
    buildSync({
      entryPoints: LAYER_PACKAGES.map((name, i) => {
        const entry = path.join(entries, `${i}.js`);
        writeFileSync(entry, `module.exports = require(${JSON.stringify(name)});`);
        return { in: entry, out: path.join(LAYER_MODULES_DIR, name, 'index') };
      }),
      // The entries live in a temporary folder: packages resolve from this project's node_modules.
      nodePaths: [path.join(REPO_ROOT, 'node_modules')],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      // The packages' ES module builds let esbuild drop what is unused.
      mainFields: ['module', 'main'],
      // pg loads its native binding only when asked to (pg.native); it is not installed.
      external: ['pg-native'],
      outdir: outputDir,
      logLevel: 'error',
    });
  } finally {
    rmSync(entries, { recursive: true, force: true });
  }
  for (const name of LAYER_PACKAGES) {
    writeFileSync(
      path.join(outputDir, LAYER_MODULES_DIR, name, 'package.json'),
      JSON.stringify({ name, main: 'index.js' }),
    );
  }
}

let hash: string | undefined;

/** What the layer is built from: the lock file (package versions), the package list and this file (the build). */
export function layerHash(): string {
  hash ??= createHash('sha256')
    .update(readFileSync(path.join(REPO_ROOT, 'package-lock.json')))
    .update(JSON.stringify(LAYER_PACKAGES))
    .update(readFileSync(__filename))
    .digest('hex');
  return hash;
}

/** Built layers by hash, kept between synths (a fresh cdk.out, a test's temporary app) on this machine. */
export const LAYER_CACHE = path.join(REPO_ROOT, 'node_modules', '.cache', 'authdb-dr-layer');

/**
 * The layer's contents into `outputDir`: copied from `cacheRoot/<hash>` when an earlier synth built them (the same
 * inputs give the same files), otherwise built there first. Concurrent synths each build into a folder of their own
 * and the first rename wins, so a reader never sees a half-built layer.
 */
export function layerContents(outputDir: string, cacheRoot: string = LAYER_CACHE, key: string = layerHash()): void {
  const cached = path.join(cacheRoot, key);
  if (!existsSync(cached)) {
    mkdirSync(cacheRoot, { recursive: true });
    const building = mkdtempSync(path.join(cacheRoot, `${key}.building-`));
    try {
      buildDependencies(building);
      renameSync(building, cached);
    } catch (error) {
      if (!existsSync(cached)) throw error;
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  }
  cpSync(cached, outputDir, { recursive: true });
}

/**
 * The stack's one dependencies layer. Its asset is bundled by the local esbuild (no Docker) once per machine while
 * the lock file and this file are unchanged (`layerContents`), and reused from cdk.out as any asset is.
 */
export function dependenciesLayer(scope: Construct): lambda.LayerVersion {
  const stack = Stack.of(scope);
  const id = 'DependenciesLayer';
  const existing = stack.node.tryFindChild(id);
  if (existing instanceof lambda.LayerVersion) return existing;
  return new lambda.LayerVersion(stack, id, {
    description:
      'authdb-dr: AWS SDK clients, pg, Powertools and zod shared by every function (versions: package-lock.json)',
    compatibleRuntimes: [lambda.Runtime.NODEJS_22_X],
    compatibleArchitectures: [lambda.Architecture.ARM_64],
    code: lambda.Code.fromAsset(REPO_ROOT, {
      assetHashType: AssetHashType.CUSTOM,
      assetHash: layerHash(),
      bundling: {
        // Never used: the local bundling below always succeeds or throws.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: {
          tryBundle(outputDir: string) {
            layerContents(outputDir);
            return true;
          },
        },
      },
    }),
  });
}
