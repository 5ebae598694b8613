import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { type RolePolicies, rolePolicies } from '../support/iam-policies.js';
import { decide, expectDecision, expectNotAllowed } from '../support/iam-simulation.js';

/**
 * The restore workflow's IAM guard, evaluated by an IAM policy simulator on the synthesized roles: only the cutover
 * role may rename production, the source under its pre-restore name, or a restored instance, and no restore role
 * can ever delete, reboot or stop an instance; the follow-up settings touch restored instances only, and restores
 * only create instances tagged as restored. Every role of the recovery stack is held to the production guard, so a
 * role added later is covered too.
 */

const REGION = 'ap-northeast-2';
const ACCOUNTS = { dev: '111111111111', prod: '333333333333' } as const;
const CUTOVER = 'RestoreRestoreCutoverRole';
const FINISH = 'RestoreRestoreFinishRole';
const START = 'RestoreRestoreStartRole';
/** The restore function roles that must never touch production: each carries an explicit Deny. */
const ALWAYS_GUARDED = ['RestoreRestoreValidateRole', START, FINISH, 'RestoreRestoreReportRole'];
const ALWAYS_RESTORE_ROLES = [
  ...ALWAYS_GUARDED,
  CUTOVER,
  'RestoreStateMachineRole',
  'RestoreRollBackStateMachineRole',
  'RestoreRollBackEventsRole',
];
const NEVER = ['rds:DeleteDBInstance', 'rds:RebootDBInstance', 'rds:StopDBInstance'];
const MODIFY = 'rds:ModifyDBInstance';
const PITR = 'rds:RestoreDBInstanceToPointInTime';
const RESTORED_TAGGED = { 'aws:ResourceTag/authdb-dr:purpose': 'restored' };
const DRILL_TAGGED = { 'aws:ResourceTag/authdb-dr:purpose': 'drill-scratch' };
const RESTORED_REQUESTED = { 'aws:RequestTag/authdb-dr:purpose': 'restored' };
const DRILL_REQUESTED = { 'aws:RequestTag/authdb-dr:purpose': 'drill-scratch' };

/** Only where a second person approves cutovers (prod and staging): the approval function's role. */
const APPROVAL = 'RestoreRestoreApprovalRole';

describe.each(['dev', 'prod'] as const)('restore IAM guard (%s)', (env) => {
  const account = ACCOUNTS[env];
  const approval = loadConfig(env).cutover.requireApproval;
  const RESTORE_ROLES = approval ? [...ALWAYS_RESTORE_ROLES, APPROVAL] : ALWAYS_RESTORE_ROLES;
  const GUARDED_FUNCTION_ROLES = approval ? [...ALWAYS_GUARDED, APPROVAL] : ALWAYS_GUARDED;
  const db = (name: string) => `arn:aws:rds:${REGION}:${account}:db:${name}`;
  const production = db(`authdb-${env}`);
  const preRestore = db(`authdb-${env}-pre-restore-202611260540`);
  const restored = db(`authdb-${env}-restored-1`);
  const other = db('other-db');
  const drillInstance = db('drill-202611260455-1a2b3c4d');
  const roleArn = (name: string) => `arn:aws:iam::${account}:role/${name}`;
  const roles = new Map<string, RolePolicies>();
  const role = (prefix: string) => roles.get(prefix) ?? expect.fail(`role ${prefix} not loaded`);
  /** Every IAM role of the recovery stack, by logical id without its hash. */
  let allRoles: string[] = [];
  let monitoringRoleArn = '';

  beforeAll(() => {
    const recovery = templateOf(env, 'recovery');
    const database = templateOf(env, 'database');
    const others = [
      database,
      templateOf(env, 'backup'),
      { template: templateOf(env, 'drRegion'), region: loadConfig(env).drRegion },
    ];
    allRoles = Object.keys(recovery.findResources('AWS::IAM::Role')).map((id) => id.slice(0, -8));
    for (const prefix of allRoles) {
      roles.set(prefix, rolePolicies(recovery, prefix, { account, region: REGION }, others));
    }
    // The role RDS publishes enhanced monitoring with, named as the resolver names roles (its RoleName or logical id).
    const monitoring = Object.entries(database.findResources('AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('DatabaseMonitoringRole'),
    );
    expect(monitoring, 'one monitoring role in the database stack').toHaveLength(1);
    const [monitoringId, { Properties: props }] = monitoring[0]!;
    monitoringRoleArn = roleArn(typeof props?.RoleName === 'string' ? props.RoleName : monitoringId);
  });

  it('finds the roles of all five restore functions and of the state machine, among every role of the stack', () => {
    expect(allRoles).toEqual(expect.arrayContaining(RESTORE_ROLES));
    expect(allRoles.filter((p) => p.startsWith('Restore')).sort()).toEqual([...RESTORE_ROLES].sort());
    // The drill's roles and the rest (custom resources, schedules) are in the enumeration too.
    expect(allRoles.some((p) => p.startsWith('Drill'))).toBe(true);
    expect(allRoles.some((p) => !p.startsWith('Drill') && !p.startsWith('Restore'))).toBe(true);
  });

  it('resolves the production instance in the Deny of every restore function role but the cutover', () => {
    for (const prefix of GUARDED_FUNCTION_ROLES) {
      const statements = role(prefix).policies.flatMap((p) => p.policy.Statement);
      expect(statements, prefix).toContainEqual(
        expect.objectContaining({ Sid: 'NeverTouchProduction', Effect: 'Deny', Resource: production }),
      );
    }
  });

  it('grants no restore role rds:* or *, nor any wildcard RDS action, nor NotAction or NotResource', () => {
    for (const prefix of RESTORE_ROLES) {
      const statements = role(prefix).policies.flatMap((p) => p.policy.Statement);
      expect(statements.length, prefix).toBeGreaterThan(0);
      for (const statement of statements) {
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

  describe('the cutover role', () => {
    it('renames production, the source under its pre-restore name and a restored instance', async () => {
      const cutover = role(CUTOVER);
      await expectDecision(decide(cutover, MODIFY, production), 'Allowed');
      await expectDecision(decide(cutover, MODIFY, preRestore), 'Allowed');
      await expectDecision(decide(cutover, MODIFY, restored, RESTORED_TAGGED), 'Allowed');
    });

    it('modifies no other instance: not an untagged one, not a drill instance, not a look-alike of production', async () => {
      const cutover = role(CUTOVER);
      await expectNotAllowed(decide(cutover, MODIFY, other));
      await expectNotAllowed(decide(cutover, MODIFY, restored));
      await expectNotAllowed(decide(cutover, MODIFY, drillInstance, DRILL_TAGGED));
      await expectNotAllowed(decide(cutover, MODIFY, db(`authdb-${env}-copy`)));
      await expectNotAllowed(decide(cutover, MODIFY, db(`other-db${'-pre-restore-202611260540'}`)));
    });

    it('is explicitly denied deleting, rebooting and stopping any instance, tagged restored or not', async () => {
      const cutover = role(CUTOVER);
      for (const action of NEVER) {
        for (const instance of [production, preRestore, restored, other, drillInstance]) {
          for (const context of [{}, RESTORED_TAGGED]) {
            await expectDecision(decide(cutover, action, instance, context), 'ExplicitlyDenied');
          }
        }
      }
    });
  });

  it('lets no role of the recovery stack but the cutover modify production, even if it is tagged restored', async () => {
    const others = allRoles.filter((p) => p !== CUTOVER);
    expect(others.length).toBeGreaterThan(RESTORE_ROLES.length);
    for (const prefix of others) {
      for (const context of [{}, RESTORED_TAGGED, DRILL_TAGGED]) {
        const decision = decide(role(prefix), MODIFY, production, context);
        if (GUARDED_FUNCTION_ROLES.includes(prefix)) await expectDecision(decision, 'ExplicitlyDenied');
        else await expectNotAllowed(decision);
      }
    }
  });

  it('lets no role of the recovery stack delete, reboot or stop production or a restored instance', async () => {
    for (const prefix of allRoles) {
      for (const action of NEVER) {
        await expectNotAllowed(decide(role(prefix), action, production, RESTORED_TAGGED));
        await expectNotAllowed(decide(role(prefix), action, restored, RESTORED_TAGGED));
        await expectNotAllowed(decide(role(prefix), action, preRestore));
      }
    }
  });

  it('gives the approval function (where cutovers need one) the alert topic and a look at restore and rewind executions only: it cannot answer tasks or rename', async () => {
    if (!approval) {
      expect(allRoles).not.toContain(APPROVAL);
      return;
    }
    const fn = role(APPROVAL);
    const execution = `arn:aws:states:${REGION}:${account}:execution:authdb-dr-${env}-restore:r-1`;
    for (const action of ['states:SendTaskSuccess', 'states:SendTaskFailure']) {
      // Task tokens are not resources: IAM knows these actions only on '*'.
      await expectNotAllowed(decide(fn, action, '*'));
    }
    // It reads the execution that asks for an approval: only the restore's and the rewind's (issue 8 for the rewind).
    const executionOf = (machine: string) =>
      `arn:aws:states:${REGION}:${account}:execution:authdb-dr-${env}-${machine}:r-1`;
    await expectDecision(decide(fn, 'states:DescribeExecution', execution), 'Allowed');
    await expectDecision(decide(fn, 'states:DescribeExecution', executionOf('rewind')), 'Allowed');
    for (const machine of ['drill', 'failover', 'restore-rollback', 'restore-test-validation']) {
      await expectNotAllowed(decide(fn, 'states:DescribeExecution', executionOf(machine)));
    }
    await expectNotAllowed(
      decide(fn, 'states:DescribeExecution', executionOf('restore').replace(`:${account}:`, ':999999999999:')),
    );
    for (const action of ['states:StopExecution', 'states:GetExecutionHistory']) {
      await expectNotAllowed(decide(fn, action, execution));
    }
    await expectDecision(decide(fn, MODIFY, production), 'ExplicitlyDenied');
    for (const instance of [preRestore, restored])
      await expectNotAllowed(decide(fn, MODIFY, instance, RESTORED_TAGGED));
    await expectNotAllowed(
      decide(fn, 'secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${REGION}:${account}:secret:rds!db-1`),
    );
  });

  describe('the finish role', () => {
    it('modifies restored instances only', async () => {
      const finish = role(FINISH);
      await expectDecision(decide(finish, MODIFY, restored, RESTORED_TAGGED), 'Allowed');
      await expectNotAllowed(decide(finish, MODIFY, restored));
      await expectNotAllowed(decide(finish, MODIFY, other));
      await expectNotAllowed(decide(finish, MODIFY, drillInstance, DRILL_TAGGED));
      await expectNotAllowed(decide(finish, MODIFY, preRestore));
    });

    it('passes the database monitoring role and no other role', async () => {
      const finish = role(FINISH);
      expect(monitoringRoleArn).toMatch(new RegExp(`^arn:aws:iam::${account}:role/\\S+$`));
      await expectDecision(decide(finish, 'iam:PassRole', monitoringRoleArn), 'Allowed');
      for (const prefix of allRoles) {
        await expectNotAllowed(decide(finish, 'iam:PassRole', role(prefix).arn));
      }
      await expectNotAllowed(decide(finish, 'iam:PassRole', roleArn('Admin')));
      await expectNotAllowed(decide(finish, 'iam:PassRole', roleArn('rds-monitoring-role')));
      const passes = role(FINISH)
        .policies.flatMap((p) => p.policy.Statement)
        .filter((s) => s.Effect === 'Allow' && [s.Action ?? []].flat().some((a) => /^iam:(\*|Pass)/i.test(a)));
      expect(passes.map((s) => s.Resource)).toEqual([monitoringRoleArn]);
    });

    it('resolves the DR-region key of replicated backups in the DR region', () => {
      const drRegion = loadConfig(env).drRegion;
      const keys = role(FINISH)
        .policies.flatMap((p) => p.policy.Statement)
        .flatMap((s) => [s.Resource ?? []].flat())
        .filter((r) => r.includes(':kms:'));
      expect(keys).toContainEqual(expect.stringMatching(new RegExp(`^arn:aws:kms:${drRegion}:${account}:key/`)));
    });

    it('is the only restore role that may pass the monitoring role', async () => {
      for (const prefix of allRoles.filter((p) => p !== FINISH)) {
        await expectNotAllowed(decide(role(prefix), 'iam:PassRole', monitoringRoleArn));
      }
    });
  });

  describe('the cutover role can rename and nothing else (finding 2)', () => {
    const config = loadConfig(env);
    const allowedClass = { 'rds:DatabaseClass': config.database.instanceClass };

    it('still renames production and restored instances of an allowed class and storage', async () => {
      const cutover = role(CUTOVER);
      const usual = { ...allowedClass, 'rds:StorageSize': String(config.database.allocatedStorageGiB) };
      await expectDecision(decide(cutover, MODIFY, production, usual), 'Allowed');
      await expectDecision(decide(cutover, MODIFY, restored, { ...usual, ...RESTORED_TAGGED }), 'Allowed');
    });

    it('is explicitly denied changing the class, growing storage, managing the master password or unencrypting', async () => {
      const cutover = role(CUTOVER);
      for (const instance of [production, preRestore]) {
        const attempts: Record<string, string>[] = [
          { 'rds:DatabaseClass': 'db.x2g.16xlarge' },
          { 'rds:DatabaseClass': 'db.t3.micro' },
          { 'rds:StorageSize': String(config.database.maxAllocatedStorageGiB + 1) },
          { 'rds:ManageMasterUserPassword': 'true' },
          { 'rds:ManageMasterUserPassword': 'false' },
          { 'rds:StorageEncrypted': 'false' },
        ];
        for (const context of attempts) {
          await expectDecision(decide(cutover, MODIFY, instance, context), 'ExplicitlyDenied');
        }
      }
    });

    it('is explicitly denied using any parameter, option, subnet or DB security group in a modification', async () => {
      const cutover = role(CUTOVER);
      for (const type of ['pg', 'og', 'subgrp', 'secgrp']) {
        for (const name of ['authdb-params', 'default:postgres-15', 'open-to-the-world']) {
          const group = `arn:aws:rds:${REGION}:${account}:${type}:${name}`;
          await expectDecision(decide(cutover, MODIFY, group), 'ExplicitlyDenied');
        }
      }
    });

    it('reads executions of the restore state machine only', async () => {
      const cutover = role(CUTOVER);
      const execution = (machine: string) => `arn:aws:states:${REGION}:${account}:execution:${machine}:run-1`;
      await expectDecision(
        decide(cutover, 'states:DescribeExecution', execution(`authdb-dr-${env}-restore`)),
        'Allowed',
      );
      await expectNotAllowed(decide(cutover, 'states:DescribeExecution', execution(`authdb-dr-${env}-drill`)));
    });

    it('can be invoked by the two restore state machines (and the rewind) and by no other role of the stack', async () => {
      const functions = role('RestoreStateMachineRole')
        .policies.flatMap((p) => p.policy.Statement)
        .flatMap((st) => [st.Resource ?? []].flat())
        .filter((r) => /:function:RestoreRestoreCutover[^:]*$/i.test(r));
      expect(functions).toHaveLength(1);
      const callers: string[] = [];
      for (const prefix of allRoles) {
        const decision = await decide(role(prefix), 'lambda:InvokeFunction', functions[0]!);
        if (decision.result === 'Allowed') callers.push(prefix);
      }
      // Where a delayed replica exists, the rewind hands its promoted replica over to the same cutover.
      const rewind = loadConfig(env).delayedReplica.enabled ? ['RewindStateMachineRole'] : [];
      expect(callers.sort()).toEqual(['RestoreRollBackStateMachineRole', 'RestoreStateMachineRole', ...rewind].sort());
    });
  });

  describe('the database key (finding 4: conditions as the drill has)', () => {
    /** The database key, as the start role's statements resolve it (the primary region's only key they name). */
    const databaseKey = () => {
      const keys = role(START)
        .policies.flatMap((p) => p.policy.Statement)
        .flatMap((s) => [s.Resource ?? []].flat())
        .filter((r) => r.startsWith(`arn:aws:kms:${REGION}:`));
      expect(new Set(keys).size, keys.join()).toBe(1);
      return keys[0]!;
    };
    const viaRds = { 'kms:ViaService': `rds.${REGION}.amazonaws.com` };
    // The key policy's delegation to the account's IAM policies (what KMS needs so identity policies count at all).
    const delegating = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' },
      ],
    };

    it('lets the start and finish roles use the key only through RDS or Secrets Manager', async () => {
      for (const prefix of [START, FINISH]) {
        for (const action of ['kms:Decrypt', 'kms:GenerateDataKey']) {
          await expectDecision(decide(role(prefix), action, databaseKey(), viaRds, delegating), 'Allowed');
          await expectDecision(
            decide(
              role(prefix),
              action,
              databaseKey(),
              { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` },
              delegating,
            ),
            'Allowed',
          );
          await expectNotAllowed(decide(role(prefix), action, databaseKey(), {}, delegating));
          await expectNotAllowed(
            decide(role(prefix), action, databaseKey(), { 'kms:ViaService': `s3.${REGION}.amazonaws.com` }),
          );
        }
      }
    });

    it('lets them create grants only for an AWS resource, through RDS', async () => {
      for (const prefix of [START, FINISH]) {
        const grant = (context: Record<string, string>) =>
          decide(role(prefix), 'kms:CreateGrant', databaseKey(), context, delegating);
        await expectDecision(grant({ ...viaRds, 'kms:GrantIsForAWSResource': 'true' }), 'Allowed');
        await expectNotAllowed(grant({ ...viaRds, 'kms:GrantIsForAWSResource': 'false' }));
        await expectNotAllowed(grant({ 'kms:GrantIsForAWSResource': 'true' }));
        await expectNotAllowed(grant({}));
      }
    });
  });

  describe('the start role', () => {
    it('restores only into new instances created with the restored tag', async () => {
      const start = role(START);
      for (const action of [PITR, 'rds:RestoreDBInstanceFromDBSnapshot']) {
        await expectDecision(decide(start, action, restored, RESTORED_REQUESTED), 'Allowed');
        await expectNotAllowed(decide(start, action, restored));
        await expectNotAllowed(decide(start, action, restored, DRILL_REQUESTED));
      }
    });

    it('deletes no instance, whatever its tag', async () => {
      const start = role(START);
      for (const instance of [production, preRestore, restored, other, drillInstance]) {
        for (const context of [{}, RESTORED_TAGGED, DRILL_TAGGED]) {
          await expectNotAllowed(decide(start, 'rds:DeleteDBInstance', instance, context));
        }
      }
    });

    // Tag-on-create can only be scoped by name: restored instances are named <source>-restored…, so the start role
    // cannot tag production, the pre-restore source, drill instances or any other instance as restored (and is
    // explicitly denied tagging production). An instance someone else names <source>-restored… is the residue.
    it('cannot tag an existing instance of another name as restored', async () => {
      const start = role(START);
      for (const instance of [other, drillInstance, production, preRestore]) {
        await expectNotAllowed(decide(start, 'rds:AddTagsToResource', instance, RESTORED_REQUESTED));
      }
    });

    it('is explicitly denied tagging production, for every restore role but the cutover', async () => {
      for (const prefix of GUARDED_FUNCTION_ROLES) {
        await expectDecision(
          decide(role(prefix), 'rds:AddTagsToResource', production, RESTORED_REQUESTED),
          'ExplicitlyDenied',
        );
      }
    });

    it('is the only role of the stack that may restore into a restored instance', async () => {
      for (const prefix of allRoles.filter((p) => p !== START)) {
        await expectNotAllowed(decide(role(prefix), PITR, restored, RESTORED_REQUESTED));
      }
    });
  });
});
