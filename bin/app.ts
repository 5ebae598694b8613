#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { applyNagPacks, buildEnvironment } from '../lib/app.js';
import { ConfigError, knownEnvironments, loadConfig } from '../lib/config/load.js';

const app = new App();
const selected: unknown = app.node.tryGetContext('env');
const names = typeof selected === 'string' && selected.length > 0 ? [selected] : knownEnvironments();

try {
  // Every selected environment is validated before any construct is created.
  const configs = names.map((name) => loadConfig(name));
  for (const config of configs) buildEnvironment(app, config);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
applyNagPacks(app);
app.synth();
