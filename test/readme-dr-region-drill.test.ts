import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { drRegionDrillInputSchema } from '../lambda/shared/dr-region-drill.js';
import { loadConfig } from '../lib/config/load.js';
import { drDrillFixture } from './support/dr-fixture.js';

const README = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const section = README.slice(
  README.indexOf('### The DR-region drill'),
  README.indexOf('## Restoring during an incident'),
);

describe('README: the DR-region drill', () => {
  let names: unknown[] = [];
  beforeAll(() => {
    const machines = drDrillFixture('prod').template().findResources('AWS::StepFunctions::StateMachine');
    names = Object.values(machines).map((r) => r.Properties.StateMachineName);
  });

  it('documents an input the state machine accepts', () => {
    const blocks = [...section.matchAll(/<!-- dr-region-drill-input -->\s*```json\n([\s\S]*?)```/g)];
    expect(blocks).toHaveLength(1);
    expect(drRegionDrillInputSchema.safeParse(JSON.parse(blocks[0]![1]!)).success).toBe(true);
    expect(drRegionDrillInputSchema.safeParse({ mode: 'snapshot' }).success).toBe(false);
  });

  it("starts the state machine the construct creates, in prod's DR region and account", () => {
    const prod = loadConfig('prod');
    expect(names).toEqual(['authdb-dr-prod-dr-region-drill']);
    expect(section).toContain(
      `--state-machine-arn arn:aws:states:${prod.drRegion}:${prod.account}:stateMachine:${names[0]}`,
    );
    expect(section).toContain(`aws stepfunctions start-execution --region ${prod.drRegion}`);
  });

  it('states the default schedule and limits the config has', () => {
    const dev = loadConfig('dev');
    expect(dev.drRegionDrill).toMatchObject({ backupWaitMinutes: 30, primaryCheckTimeoutSeconds: 5 });
    expect(dev.readiness.drDrillMaxAgeDays).toBe(35);
    expect(section).toContain('default the second Wednesday at 14:00 Asia/Seoul');
    expect(dev.drRegionDrill.schedule).toBe('cron(0 14 ? * 3#2 *)');
    expect(dev.drill.scheduleTimeZone).toBe('Asia/Seoul');
  });
});
