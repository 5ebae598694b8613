import { writeFileSync } from 'node:fs';
import { Template } from 'aws-cdk-lib/assertions';
import { environmentStacks } from './app.js';
const { app: _a, ...stacks } = environmentStacks('prod');
const out: Record<string, unknown> = {};
for (const [n, s] of Object.entries(stacks)) if (s) out[n] = Template.fromStack(s).toJSON();
writeFileSync(process.argv[2]!, JSON.stringify(out, null, 1));
