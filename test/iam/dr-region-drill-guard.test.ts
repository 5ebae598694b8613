import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { drDrillFixture } from '../support/dr-fixture.js';
import { type RolePolicies, rolePolicies } from '../support/iam-policies.js';
import { decide, expectDecision, expectNotAllowed } from '../support/iam-simulation.js';

/**
 * The DR-region drill's IAM guard, evaluated by an IAM policy simulator on the synthesized roles (issue 10, point 7):
 * no role of the drill can modify, delete, reboot, stop or promote the primary instance or the standby replica (an
 * explicit Deny on each function role wins even if they carried the drill tag); only the cleanup and the sweeper
 * delete, and only drill-prefixed AND drill-tagged instances of the DR region; only the restorer restores, and only
 * into drill instances created with the tag.
 */

const DESTRUCTIVE = [
  'rds:DeleteDBInstance',
  'rds:ModifyDBInstance',
  'rds:RebootDBInstance',
  'rds:StopDBInstance',
  'rds:PromoteReadReplica',
];
const DRILL_TAGGED = { 'aws:ResourceTag/authdb-dr:purpose': 'drill-scratch' };
const DRILL_TAG_REQUESTED = { 'aws:RequestTag/authdb-dr:purpose': 'drill-scratch' };
const FUNCTIONS = ['Preflight', 'Verifier', 'Restore', 'InstanceStatus', 'Report', 'Cleanup', 'Sweeper', 'Age'];

describe.each(['dev', 'prod'] as const)('DR-region drill IAM guard (%s)', (env) => {
  const config = loadConfig(env);
  const { account, drRegion, primaryRegion } = config;
  const db = (name: string, region = drRegion) => `arn:aws:rds:${region}:${account}:db:${name}`;
  const primary = db(`authdb-${env}`, primaryRegion);
  const standby = db(`authdb-${env}-standby`);
  const scratch = db('drill-202611260455-1a2b3c4d');
  const roles = new Map<string, RolePolicies>();
  const role = (name: string) => roles.get(name) ?? expect.fail(`role ${name} not loaded (have ${[...roles.keys()]})`);
  const functionRole = (fn: string) => {
    const found = [...roles.keys()].filter((k) => k.endsWith(`${fn}Role`) && k.startsWith('DrRegionDrillD'));
    const name = fn === 'InstanceStatus' ? 'DrRegionDrillInstanceStatusRole' : found[0];
    return role(name ?? `missing ${fn}`);
  };
  let all: string[] = [];

  beforeAll(() => {
    const template = drDrillFixture(env).template();
    // Every role of the drill construct, so a role added later is held to the guard too.
    all = Object.keys(template.findResources('AWS::IAM::Role'))
      .filter((id) => id.startsWith('DrRegionDrill'))
      .map((id) => id.slice(0, -8));
    for (const prefix of all) roles.set(prefix, rolePolicies(template, prefix, { account, region: drRegion }));
  });

  it('finds the role of every function, of the state machine and of the schedule', () => {
    for (const fn of FUNCTIONS) expect(functionRole(fn).logicalId).toMatch(/Role/);
    expect(all).toEqual(expect.arrayContaining(['DrRegionDrillStateMachineRole', 'DrRegionDrillScheduleRole']));
    expect(all).toHaveLength(FUNCTIONS.length + 2);
  });

  it('denies every destructive action and promotion on the primary and the standby, explicitly to each function', async () => {
    const functionRoles = FUNCTIONS.map((fn) => functionRole(fn).logicalId);
    for (const prefix of all) {
      for (const target of [primary, standby]) {
        for (const action of DESTRUCTIVE) {
          for (const context of [{}, DRILL_TAGGED]) {
            const decision = decide(role(prefix), action, target, context);
            if (functionRoles.includes(role(prefix).logicalId)) await expectDecision(decision, 'ExplicitlyDenied');
            else await expectNotAllowed(decision);
          }
        }
      }
    }
  });

  it('lets no role modify, reboot, stop or promote a scratch instance either', async () => {
    for (const prefix of all) {
      for (const action of DESTRUCTIVE.filter((a) => a !== 'rds:DeleteDBInstance')) {
        await expectNotAllowed(decide(role(prefix), action, scratch, DRILL_TAGGED));
      }
    }
  });

  it('lets only the cleanup and the sweeper delete, and only drill-prefixed, drill-tagged instances of the DR region', async () => {
    const deleters = [functionRole('Cleanup'), functionRole('Sweeper')];
    for (const deleter of deleters) {
      await expectDecision(decide(deleter, 'rds:DeleteDBInstance', scratch, DRILL_TAGGED), 'Allowed');
      await expectNotAllowed(decide(deleter, 'rds:DeleteDBInstance', scratch));
      await expectNotAllowed(
        decide(deleter, 'rds:DeleteDBInstance', scratch, { 'aws:ResourceTag/authdb-dr:purpose': 'restored' }),
      );
      await expectNotAllowed(decide(deleter, 'rds:DeleteDBInstance', db(`authdb-${env}-copy`), DRILL_TAGGED));
      // A drill instance of the primary region belongs to the primary drill.
      await expectNotAllowed(
        decide(deleter, 'rds:DeleteDBInstance', db('drill-202611260455-1a2b3c4d', primaryRegion), DRILL_TAGGED),
      );
    }
    const deleterIds = deleters.map((d) => d.logicalId);
    for (const prefix of all.filter((p) => !deleterIds.includes(role(p).logicalId))) {
      await expectNotAllowed(decide(role(prefix), 'rds:DeleteDBInstance', scratch, DRILL_TAGGED));
    }
  });

  it('lets only the restorer restore, only from replicated backups into drill instances created with the tag', async () => {
    const restore = functionRole('Restore');
    const action = 'rds:RestoreDBInstanceToPointInTime';
    await expectDecision(decide(restore, action, scratch, DRILL_TAG_REQUESTED), 'Allowed');
    await expectDecision(
      decide(restore, action, `arn:aws:rds:${drRegion}:${account}:auto-backup:ab-abc123`, DRILL_TAG_REQUESTED),
      'Allowed',
    );
    await expectNotAllowed(decide(restore, action, scratch));
    await expectNotAllowed(decide(restore, action, scratch, { 'aws:RequestTag/authdb-dr:purpose': 'restored' }));
    await expectNotAllowed(decide(restore, action, standby, DRILL_TAG_REQUESTED));
    await expectNotAllowed(decide(restore, action, db(`authdb-${env}`), DRILL_TAG_REQUESTED));
    await expectNotAllowed(decide(restore, 'rds:RestoreDBInstanceFromDBSnapshot', scratch, DRILL_TAG_REQUESTED));
    for (const prefix of all.filter((p) => role(p).logicalId !== restore.logicalId)) {
      await expectNotAllowed(decide(role(prefix), action, scratch, DRILL_TAG_REQUESTED));
    }
  });

  it('lets the verifier connect, in either region, only as the read-only verifier user', async () => {
    const verifier = functionRole('Verifier');
    const user = config.drill.verifierRole;
    const dbUser = (name: string, region: string) => `arn:aws:rds-db:${region}:${account}:dbuser:db-ABCDEFGHIJ/${name}`;
    for (const region of [drRegion, primaryRegion]) {
      await expectDecision(decide(verifier, 'rds-db:connect', dbUser(user, region)), 'Allowed');
      await expectNotAllowed(decide(verifier, 'rds-db:connect', dbUser('authdb_admin', region)));
      await expectNotAllowed(decide(verifier, 'rds-db:connect', dbUser('postgres', region)));
    }
    for (const prefix of all.filter((p) => role(p).logicalId !== verifier.logicalId)) {
      await expectNotAllowed(decide(role(prefix), 'rds-db:connect', dbUser(user, drRegion)));
    }
  });

  it('reads the primary region only to describe the primary instance, from the preflight', async () => {
    const preflight = functionRole('Preflight');
    await expectDecision(decide(preflight, 'rds:DescribeDBInstances', primary), 'Allowed');
    await expectNotAllowed(decide(preflight, 'rds:DescribeDBInstances', db(`authdb-${env}-other`, primaryRegion)));
    for (const prefix of all.filter((p) => role(p).logicalId !== preflight.logicalId)) {
      await expectNotAllowed(decide(role(prefix), 'rds:DescribeDBInstances', primary));
    }
  });
});
