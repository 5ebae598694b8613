import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

function layerHash(): string {
  return createHash('sha256')
    .update(readFileSync(path.join(REPO_ROOT, 'package-lock.json')))
    .update(JSON.stringify(LAYER_PACKAGES))
    .update(readFileSync(__filename))
    .digest('hex');
}

/**
 * The stack's one dependencies layer. Its asset is bundled once per synth (and reused from cdk.out while the lock
 * file and this file are unchanged), by the local esbuild: no Docker.
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
            buildDependencies(outputDir);
            return true;
          },
        },
      },
    }),
  });
}
