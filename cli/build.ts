import path from 'node:path';
import { build } from 'esbuild';

/** Where `npm run build` writes the CLI: one CommonJS file that bin/authdb-dr.cjs loads (no TypeScript at run time). */
export const CLI_BUNDLE = path.join(__dirname, '..', 'dist', 'cli.cjs');

/**
 * Bundles cli/main.ts and the project code it imports (config, input schemas) into dist/cli.cjs. Packages stay
 * external: they are the package's dependencies, installed beside it.
 */
export async function buildCli(outfile = CLI_BUNDLE): Promise<string> {
  await build({
    entryPoints: [path.join(__dirname, 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    // The oldest Node.js the test suite runs the CLI on (CI); the supported version is in package.json engines.
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return outfile;
}

if (require.main === module) {
  buildCli().then(
    (file) => process.stdout.write(`built ${path.relative(process.cwd(), file)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error}\n`);
      process.exitCode = 1;
    },
  );
}
