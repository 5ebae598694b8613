import { beforeAll, describe, expect, it } from 'vitest';
import { templateOf } from '../support/app.js';
import { type RolePolicies, rolePolicies } from '../support/iam-policies.js';
import { decide, expectDecision, expectNotAllowed } from '../support/iam-simulation.js';

/**
 * The DR drill's IAM guard, evaluated by an IAM policy simulator on the synthesized roles: no drill role can harm
 * the production instance (an explicit Deny wins even if production carries the drill tag), only the deleters can
 * delete, and only drill-prefixed AND drill-tagged instances; only the restorer can restore, and only into drill
 * instances created with the tag; the verifier connects only as the read-only role.
 */

const REGION = 'ap-northeast-2';
const ACCOUNTS = { dev: '111111111111', prod: '333333333333' } as const;
const FUNCTION_ROLES = [
  'DrillDrillPreflightRole',
  'DrillDrillVerifierRole',
  'DrillDrillRestoreRole',
  'DrillInstanceStatusRole',
  'DrillDrillReportRole',
  'DrillDrillCleanupRole',
  'DrillDrillSweeperRole',
];
const STATE_MACHINE_ROLE = 'DrillStateMachineRole';
const DESTRUCTIVE = ['rds:DeleteDBInstance', 'rds:ModifyDBInstance', 'rds:RebootDBInstance', 'rds:StopDBInstance'];
const DRILL_TAGGED = { 'aws:ResourceTag/authdb-dr:purpose': 'drill-scratch' };
const DRILL_TAG_REQUESTED = { 'aws:RequestTag/authdb-dr:purpose': 'drill-scratch' };

describe.each(['dev', 'prod'] as const)('DR drill IAM guard (%s)', (env) => {
  const account = ACCOUNTS[env];
  const db = (name: string) => `arn:aws:rds:${REGION}:${account}:db:${name}`;
  const production = db(`authdb-${env}`);
  const drillInstance = db('drill-202611260455-1a2b3c4d');
  const roles = new Map<string, RolePolicies>();
  const role = (prefix: string) => roles.get(prefix) ?? expect.fail(`role ${prefix} not loaded`);
  let drillRoles: string[] = [];

  beforeAll(() => {
    const recovery = templateOf(env, 'recovery');
    const others = [templateOf(env, 'database'), templateOf(env, 'backup')];
    // Every role of the drill construct, so a role added later is held to the production guard too.
    drillRoles = Object.keys(recovery.findResources('AWS::IAM::Role'))
      .filter((id) => id.startsWith('Drill'))
      .map((id) => id.slice(0, -8));
    for (const prefix of drillRoles) {
      roles.set(prefix, rolePolicies(recovery, prefix, { account, region: REGION }, others));
    }
  });

  it('finds the roles of all seven drill functions and of the state machine', () => {
    expect(drillRoles).toEqual(expect.arrayContaining([...FUNCTION_ROLES, STATE_MACHINE_ROLE]));
  });

  it('throws on what it cannot resolve rather than dropping a statement (here: the database stack export)', () => {
    const recovery = templateOf(env, 'recovery');
    expect(() => rolePolicies(recovery, 'DrillDrillCleanupRole', { account, region: REGION })).toThrow(
      /no template given exports authdb-dr-.*-database:/,
    );
  });

  it('resolves the production instance to its real ARN in the Deny of every function role', () => {
    for (const prefix of FUNCTION_ROLES) {
      const statements = role(prefix).policies.flatMap((p) => p.policy.Statement);
      expect(statements, prefix).toContainEqual(
        expect.objectContaining({ Sid: 'NeverTouchProduction', Effect: 'Deny', Resource: production }),
      );
    }
  });

  it('grants no drill role rds:* or *, nor any wildcard RDS action, nor NotAction or NotResource', () => {
    for (const prefix of drillRoles) {
      for (const statement of role(prefix).policies.flatMap((p) => p.policy.Statement)) {
        const text = `${prefix}: ${JSON.stringify(statement)}`;
        if (statement.Effect !== 'Allow') continue;
        expect(statement.NotAction, text).toBeUndefined();
        expect(statement.NotResource, text).toBeUndefined();
        for (const action of [statement.Action ?? []].flat()) {
          expect(action, text).not.toBe('*');
          expect(/^rds(-db)?:.*\*/i.test(action), text).toBe(false);
        }
      }
    }
  });

  it('denies every destructive action on production to every drill role, explicitly to each function role', async () => {
    for (const prefix of drillRoles) {
      for (const action of DESTRUCTIVE) {
        for (const context of [{}, DRILL_TAGGED]) {
          const decision = decide(role(prefix), action, production, context);
          if (FUNCTION_ROLES.includes(prefix)) await expectDecision(decision, 'ExplicitlyDenied');
          else await expectNotAllowed(decision);
        }
      }
    }
  });

  it('lets no drill role modify, reboot or stop a drill instance either', async () => {
    for (const prefix of drillRoles) {
      for (const action of ['rds:ModifyDBInstance', 'rds:RebootDBInstance', 'rds:StopDBInstance']) {
        await expectNotAllowed(decide(role(prefix), action, drillInstance, DRILL_TAGGED));
      }
    }
  });

  it('lets only the cleanup and the sweeper delete, and only drill-prefixed instances carrying the drill tag', async () => {
    for (const prefix of ['DrillDrillCleanupRole', 'DrillDrillSweeperRole']) {
      const deleter = role(prefix);
      await expectDecision(decide(deleter, 'rds:DeleteDBInstance', drillInstance, DRILL_TAGGED), 'Allowed');
      await expectNotAllowed(decide(deleter, 'rds:DeleteDBInstance', drillInstance));
      await expectNotAllowed(
        decide(deleter, 'rds:DeleteDBInstance', drillInstance, { 'aws:ResourceTag/authdb-dr:purpose': 'restored' }),
      );
      await expectNotAllowed(decide(deleter, 'rds:DeleteDBInstance', db(`authdb-${env}-copy`), DRILL_TAGGED));
    }
    for (const prefix of drillRoles.filter((p) => p !== 'DrillDrillCleanupRole' && p !== 'DrillDrillSweeperRole')) {
      await expectNotAllowed(decide(role(prefix), 'rds:DeleteDBInstance', drillInstance, DRILL_TAGGED));
    }
  });

  it('lets the restore role restore only into drill-prefixed instances created with the drill tag', async () => {
    const restore = role('DrillDrillRestoreRole');
    for (const action of ['rds:RestoreDBInstanceToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot']) {
      await expectDecision(decide(restore, action, drillInstance, DRILL_TAG_REQUESTED), 'Allowed');
      await expectNotAllowed(decide(restore, action, drillInstance));
      await expectNotAllowed(
        decide(restore, action, drillInstance, { 'aws:RequestTag/authdb-dr:purpose': 'restored' }),
      );
      await expectNotAllowed(decide(restore, action, db('authdb-restored-1'), DRILL_TAG_REQUESTED));
    }
    await expectNotAllowed(decide(restore, 'rds:DeleteDBInstance', drillInstance, DRILL_TAGGED));
    for (const prefix of drillRoles.filter((p) => p !== 'DrillDrillRestoreRole')) {
      await expectNotAllowed(
        decide(role(prefix), 'rds:RestoreDBInstanceToPointInTime', drillInstance, DRILL_TAG_REQUESTED),
      );
    }
  });

  it('lets the verifier connect only as the read-only verifier user', async () => {
    const verifier = role('DrillDrillVerifierRole');
    const dbUser = (user: string) => `arn:aws:rds-db:${REGION}:${account}:dbuser:db-ABCDEFGHIJ/${user}`;
    await expectDecision(decide(verifier, 'rds-db:connect', dbUser('authdb_verifier')), 'Allowed');
    await expectNotAllowed(decide(verifier, 'rds-db:connect', dbUser('authdb_admin')));
    await expectNotAllowed(decide(verifier, 'rds-db:connect', dbUser('postgres')));
    for (const prefix of drillRoles.filter((p) => p !== 'DrillDrillVerifierRole')) {
      await expectNotAllowed(decide(role(prefix), 'rds-db:connect', dbUser('authdb_verifier')));
    }
  });
});
