import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { applyNagPacks, buildEnvironment, type EnvironmentStacks } from '../../lib/app.js';
import { loadConfig } from '../../lib/config/load.js';
import type { EnvironmentConfig } from '../../lib/config/schema.js';

/** The context (feature flags) of cdk.json, so tests build what `cdk synth` builds. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/** An App with cdk.json's context that skips Lambda bundling (templates only), writing to a fresh temporary folder. */
export function testApp(): App {
  return new App({
    outdir: mkdtempSync(path.join(tmpdir(), 'authdb-cdk-')),
    context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] },
  });
}

/** The stacks of one environment, built from its real configuration (optionally changed by `edit`). */
export function environmentStacks(
  name: string,
  edit: (config: EnvironmentConfig) => EnvironmentConfig = (c) => c,
): EnvironmentStacks & { app: App } {
  const app = testApp();
  return { app, ...buildEnvironment(app, edit(loadConfig(name))) };
}

const templates = new Map<string, Template>();
/** Template of one stack of an environment with its real configuration (cached: synth is the slow part). */
export function templateOf(envName: string, stack: keyof EnvironmentStacks): Template {
  const key = `${envName}/${stack}`;
  let template = templates.get(key);
  if (!template) {
    // One synth of the environment serves all its stacks (the app caches its assembly).
    const { app: _app, ...stacks } = environmentStacks(envName);
    for (const [name, stack] of Object.entries(stacks)) {
      if (stack !== undefined) templates.set(`${envName}/${name}`, Template.fromStack(stack));
    }
    template = templates.get(key);
    if (template === undefined)
      throw new Error(`environment ${envName} has no ${stack} stack (switched off in config)`);
  }
  return template;
}

export interface NagViolation {
  rule: string;
  path: string;
}

/** Synthesizes `app` with the cdk-nag packs and returns every unacknowledged finding. */
export function nagViolations(app: App): NagViolation[] {
  applyNagPacks(app);
  try {
    app.synth();
    return [];
  } catch (error) {
    const reportPath = path.join(app.outdir, 'validation-report.json');
    let report: {
      pluginReports: { violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
    };
    try {
      report = JSON.parse(readFileSync(reportPath, 'utf8'));
    } catch {
      throw error;
    }
    return report.pluginReports.flatMap((plugin) =>
      plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => ({ rule: v.ruleName, path: c.constructPath }))),
    );
  } finally {
    rmSync(app.outdir, { recursive: true, force: true });
  }
}
