import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { type RolePolicies, rolePolicies } from '../support/iam-policies.js';
import { decide, expectDecision, expectNotAllowed } from '../support/iam-simulation.js';

/**
 * The rewind roles, evaluated by an IAM policy simulator on the synthesized prod roles: the control function can
 * reboot, promote and describe the delayed replica and change its parameter group, and nothing else; the replay
 * function can only log in to the delayed replica as the replay-control or the verifier role.
 */
const REGION = 'ap-northeast-2';
const ACCOUNT = '333333333333';
const db = (name: string) => `arn:aws:rds:${REGION}:${ACCOUNT}:db:${name}`;
const REPLICA = db('authdb-prod-delayed');
const PRODUCTION = db('authdb-prod');
const OTHERS = [
  PRODUCTION,
  db('authdb-prod-restored-1'),
  db('drill-202611260455-1a2b3c4d'),
  db('authdb-prod-delayed-g2'),
];

describe('rewind IAM guard (prod)', () => {
  let control: RolePolicies;
  let replay: RolePolicies;
  let replicaGroup = '';
  let productionGroup = '';

  beforeAll(() => {
    const recovery = templateOf('prod', 'recovery');
    const database = templateOf('prod', 'database');
    const others = [
      database,
      templateOf('prod', 'backup'),
      { template: templateOf('prod', 'drRegion'), region: loadConfig('prod').drRegion },
    ];
    const where = { account: ACCOUNT, region: REGION };
    control = rolePolicies(recovery, 'RewindRewindControlRole', where, others);
    replay = rolePolicies(recovery, 'RewindRewindReplayRole', where, others);
    const groups = Object.keys(database.findResources('AWS::RDS::DBParameterGroup')).map((id) => id.toLowerCase());
    replicaGroup = `arn:aws:rds:${REGION}:${ACCOUNT}:pg:${groups.find((g) => g.startsWith('delayedreplica'))}`;
    productionGroup = `arn:aws:rds:${REGION}:${ACCOUNT}:pg:${groups.find((g) => g.startsWith('database'))}`;
    expect(replicaGroup).toMatch(/pg:delayedreplica/);
    expect(productionGroup).toMatch(/pg:database/);
  });

  it('lets the control role reboot, promote and describe the delayed replica, and change its parameter group', async () => {
    for (const action of ['rds:RebootDBInstance', 'rds:PromoteReadReplica', 'rds:DescribeDBInstances']) {
      await expectDecision(decide(control, action, REPLICA), 'Allowed');
    }
    await expectDecision(decide(control, 'rds:ModifyDBParameterGroup', replicaGroup), 'Allowed');
  });

  it('lets the control role touch no other instance or parameter group, and never delete or modify an instance', async () => {
    for (const other of OTHERS) {
      for (const action of [
        'rds:RebootDBInstance',
        'rds:PromoteReadReplica',
        'rds:ModifyDBInstance',
        'rds:DeleteDBInstance',
      ]) {
        await expectNotAllowed(decide(control, action, other));
      }
    }
    for (const action of ['rds:DeleteDBInstance', 'rds:ModifyDBInstance', 'rds:StopDBInstance']) {
      await expectNotAllowed(decide(control, action, REPLICA));
    }
    await expectNotAllowed(decide(control, 'rds:ModifyDBParameterGroup', productionGroup));
    await expectNotAllowed(decide(control, 'rds:ResetDBParameterGroup', replicaGroup));
    // Production is denied explicitly, whatever is granted later.
    await expectDecision(decide(control, 'rds:RebootDBInstance', PRODUCTION), 'ExplicitlyDenied');
  });

  it('lets the replay role log in to the delayed replica only, as the replay-control or verifier role only', async () => {
    const dbUser = (resource: string, user: string) => `arn:aws:rds-db:${REGION}:${ACCOUNT}:dbuser:${resource}/${user}`;
    const statement = replay.policies
      .flatMap((p) => p.policy.Statement)
      .find((s) => s.Sid === 'ConnectToTheDelayedReplicaAsReplayControlOrVerifier');
    const resources = [statement?.Resource].flat() as string[];
    // The resource id of the replica (db-…), not its ARN: IAM database authentication names the resource id.
    expect(resources).toHaveLength(2);
    const replicaResource = /dbuser:([^/]+)\//.exec(resources[0]!)![1]!;
    expect(replicaResource).toMatch(/^db-/);
    await expectDecision(decide(replay, 'rds-db:connect', dbUser(replicaResource, 'authdb_replay_control')), 'Allowed');
    await expectDecision(decide(replay, 'rds-db:connect', dbUser(replicaResource, 'authdb_verifier')), 'Allowed');
    await expectNotAllowed(decide(replay, 'rds-db:connect', dbUser(replicaResource, 'authdb_admin')));
    await expectNotAllowed(decide(replay, 'rds-db:connect', dbUser('db-authdb-prod', 'authdb_replay_control')));
    for (const action of ['rds:RebootDBInstance', 'rds:PromoteReadReplica', 'rds:ModifyDBParameterGroup']) {
      await expectNotAllowed(decide(replay, action, action.endsWith('Group') ? replicaGroup : REPLICA));
    }
  });

  describe('the handover to the restore cutover', () => {
    const MODIFY = 'rds:ModifyDBInstance';
    let cutover: RolePolicies;
    let callers: string[] = [];
    const execution = (machine: string) => `arn:aws:states:${REGION}:${ACCOUNT}:execution:${machine}:run-1`;

    beforeAll(async () => {
      const recovery = templateOf('prod', 'recovery');
      const others = [
        templateOf('prod', 'database'),
        templateOf('prod', 'backup'),
        { template: templateOf('prod', 'drRegion'), region: loadConfig('prod').drRegion },
      ];
      const where = { account: ACCOUNT, region: REGION };
      cutover = rolePolicies(recovery, 'RestoreRestoreCutoverRole', where, others);
      const cutoverFunction = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${Object.keys(
        recovery.findResources('AWS::Lambda::Function'),
      ).find((id) => id.startsWith('RestoreRestoreCutover'))!}`;
      callers = [];
      for (const id of Object.keys(recovery.findResources('AWS::IAM::Role'))) {
        const prefix = id.slice(0, -8);
        const role = rolePolicies(recovery, prefix, where, others);
        const statements = role.policies.flatMap((p) => p.policy.Statement);
        const resources = statements.flatMap((st) => [st.Resource ?? []].flat());
        // The resolver names a function by its logical id; the simulator decides on that ARN.
        const named = resources.find((r) => r.startsWith(cutoverFunction)) ?? cutoverFunction;
        if ((await decide(role, 'lambda:InvokeFunction', named)).result === 'Allowed') callers.push(prefix);
      }
    });

    it('lets only the restore and rewind state machines (and the restore roll-back) invoke the cutover', () => {
      expect(callers.sort()).toEqual(
        ['RestoreRollBackStateMachineRole', 'RestoreStateMachineRole', 'RewindStateMachineRole'].sort(),
      );
    });

    it('lets the cutover role rename the delayed replica, of its own class, and read rewind executions', async () => {
      const replicaClass = { 'rds:DatabaseClass': loadConfig('prod').delayedReplica.instanceClass };
      await expectDecision(decide(cutover, MODIFY, REPLICA, replicaClass), 'Allowed');
      await expectDecision(decide(cutover, 'states:DescribeExecution', execution('authdb-dr-prod-rewind')), 'Allowed');
    });

    it('keeps the rename-only guard on the delayed replica, and adds no other instance', async () => {
      const attempts: Record<string, string>[] = [
        { 'rds:DatabaseClass': 'db.x2g.16xlarge' },
        { 'rds:ManageMasterUserPassword': 'true' },
        { 'rds:StorageEncrypted': 'false' },
      ];
      for (const context of attempts) {
        await expectDecision(decide(cutover, MODIFY, REPLICA, context), 'ExplicitlyDenied');
      }
      for (const action of ['rds:DeleteDBInstance', 'rds:RebootDBInstance', 'rds:PromoteReadReplica']) {
        await expectNotAllowed(decide(cutover, action, REPLICA));
      }
      for (const other of [db('authdb-prod-delayed-g2'), db('drill-202611260455-1a2b3c4d')]) {
        await expectNotAllowed(decide(cutover, MODIFY, other));
      }
    });
  });
});
