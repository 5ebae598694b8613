import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import type { EnvironmentConfig } from './config/schema.js';
import { DatabaseStack } from './stacks/database-stack.js';
import { DrRegionStack } from './stacks/dr-region-stack.js';

/** The stacks of one environment. */
export interface EnvironmentStacks {
  readonly drRegion: DrRegionStack;
  readonly database: DatabaseStack;
}

/** Builds every stack of one environment (primary region and DR region) from its validated config. */
export function buildEnvironment(app: App, config: EnvironmentConfig): EnvironmentStacks {
  const prefix = `authdb-dr-${config.name}`;
  const drRegion = new DrRegionStack(app, `${prefix}-dr-region`, {
    config,
    zones: config.availabilityZones.dr,
    env: { account: config.account, region: config.drRegion },
    terminationProtection: config.terminationProtection,
    crossRegionReferences: true,
    description: `authdb-dr ${config.name}: keys and backup vault in the DR region (${config.drRegion})`,
  });
  const database = new DatabaseStack(app, `${prefix}-database`, {
    config,
    zones: config.availabilityZones.primary,
    env: { account: config.account, region: config.primaryRegion },
    terminationProtection: config.terminationProtection,
    crossRegionReferences: true,
    replicationKey: drRegion.replicationKey,
    description: `authdb-dr ${config.name}: the authentication database (RDS PostgreSQL 15), its key and network`,
  });
  database.addDependency(drRegion, 'the replicated backups are encrypted with the DR-region key');
  return { drRegion, database };
}

/** Applies the cdk-nag packs: any unacknowledged finding fails synth. */
export function applyNagPacks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app));
}
