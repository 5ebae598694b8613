// Lean Lambdas, measured (issue 9): every function asset's size (goal <= 150 kB), one environment's synth time next
// to a bare one-stack CDK app's (goal <= 2x, both run by the CDK CLI with the same loader, from a fresh cdk.out so
// every asset is built; median of three runs each), and the cold-start init of the largest function (goal <= 300 ms): a fresh Node.js process
// loading its bundle with the dependencies layer on NODE_PATH, as the Lambda runtime does, median of 5.
// Run: npm run bench -- lambda-bundles
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAYER_CACHE } from '../lib/constructs/dependencies-layer.js';

const ENV = process.env.BENCH_ENV ?? 'prod';
const FUNCTION_GOAL_KB = 150;

function seconds(run: () => void): number {
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function synth(args: string[], out: string): number {
  return seconds(() =>
    execFileSync('npx', ['cdk', 'synth', '--quiet', '-o', out, ...args], { stdio: ['ignore', 'ignore', 'inherit'] }),
  );
}

function sizeKb(dir: string): number {
  let bytes = 0;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const s = statSync(join(dir, f));
    if (s.isFile()) bytes += s.size;
  }
  return bytes / 1024;
}

interface Resource {
  Type: string;
  Properties?: { Environment?: { Variables?: Record<string, unknown> }; Layers?: { Ref: string }[] };
  Metadata?: Record<string, unknown>;
}

const work = mkdtempSync(join(tmpdir(), 'authdb-bench-'));
try {
  // Median of three runs each, alternating, every run into a fresh folder: one run of either swings by a second or
  // two on this machine.
  // The first of our runs starts with an empty layer cache (a new checkout); the other two reuse it, as every synth
  // after the first on a machine does.
  rmSync(LAYER_CACHE, { recursive: true, force: true });
  const bareRuns: number[] = [];
  const ourRuns: number[] = [];
  let out = '';
  for (let i = 0; i < 3; i++) {
    bareRuns.push(synth(['--app', 'npx tsx bench/bare-app.ts'], join(work, `bare-${i}`)));
    out = join(work, `app-${i}`);
    ourRuns.push(synth(['-c', `env=${ENV}`], out));
  }
  const median = (runs: number[]) => [...runs].sort((a, b) => a - b)[1]!;
  const bare = median(bareRuns);
  const ours = median(ourRuns);

  // Each function: its asset folder, size, environment and layers, from the templates' asset metadata.
  const functions: { id: string; dir: string; kb: number; env: Record<string, string>; layers: string[] }[] = [];
  const layers = new Map<string, string>();
  for (const file of readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
    const resources = JSON.parse(readFileSync(join(out, file), 'utf8')).Resources as Record<string, Resource>;
    for (const [id, r] of Object.entries(resources)) {
      const asset = r.Metadata?.['aws:asset:path'];
      if (typeof asset !== 'string') continue;
      if (r.Type === 'AWS::Lambda::LayerVersion') layers.set(`${file}/${id}`, join(out, asset));
    }
    for (const [id, r] of Object.entries(resources)) {
      const asset = r.Metadata?.['aws:asset:path'];
      if (r.Type !== 'AWS::Lambda::Function' || typeof asset !== 'string') continue;
      const env = Object.fromEntries(
        Object.entries(r.Properties?.Environment?.Variables ?? {}).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : 'resolved-at-deploy',
        ]),
      );
      const dir = join(out, asset);
      const fnLayers = (r.Properties?.Layers ?? []).map((l) => layers.get(`${file}/${l.Ref}`)!);
      functions.push({
        id: `${file.replace('.template.json', '')}/${id}`,
        dir,
        kb: sizeKb(dir),
        env,
        layers: fnLayers,
      });
    }
  }
  functions.sort((a, b) => b.kb - a.kb);
  console.log(`function assets (${functions.length}), largest first:`);
  for (const f of functions) console.log(`  ${f.kb.toFixed(1).padStart(7)} kB  ${f.id}`);
  for (const [id, dir] of layers) console.log(`  layer ${id}: ${(sizeKb(dir) / 1024).toFixed(2)} MB`);
  const largest = functions[0]!;
  const over = functions.filter((f) => f.kb > FUNCTION_GOAL_KB);
  console.log(
    `largest function asset: ${largest.kb.toFixed(1)} kB (goal <= ${FUNCTION_GOAL_KB} kB: ${over.length === 0 ? 'met' : `${over.length} over`})`,
  );

  console.log(`synth, one environment (${ENV}), first run with an empty layer cache: ${ourRuns[0]!.toFixed(1)} s`);
  console.log(
    `synth, one environment (${ENV}): ${ours.toFixed(1)} s; bare one-stack app: ${bare.toFixed(1)} s; ratio ${(ours / bare).toFixed(2)} (goal <= 2; medians of ${ourRuns.map((r) => r.toFixed(1)).join(', ')} and ${bareRuns.map((r) => r.toFixed(1)).join(', ')})`,
  );

  // Cold start: require() of the bundle in a fresh process, the layer's packages on NODE_PATH.
  const nodePath = largest.layers.map((l) => join(l, 'nodejs', 'node_modules')).join(':');
  const probe =
    'const t=process.hrtime.bigint();require(process.argv[1]);' +
    'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
  const runs = Array.from({ length: 5 }, () =>
    Number(
      execFileSync(process.execPath, ['-e', probe, join(largest.dir, 'index.js')], {
        env: { PATH: process.env.PATH ?? '', AWS_REGION: 'ap-northeast-2', NODE_PATH: nodePath, ...largest.env },
        encoding: 'utf8',
      }),
    ),
  ).sort((a, b) => a - b);
  console.log(
    `cold-start init of ${largest.id}: median ${runs[2]!.toFixed(0)} ms (runs ${runs.map((r) => r.toFixed(0)).join(', ')}; goal <= 300 ms)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
