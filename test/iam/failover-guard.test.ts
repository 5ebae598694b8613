import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import { type RolePolicies, rolePolicies } from '../support/iam-policies.js';
import { decide, expectDecision, expectNotAllowed } from '../support/iam-simulation.js';

/**
 * Every role of the DR-region stacks, evaluated by an IAM policy simulator on the synthesized prod templates: none can
 * modify, delete, reboot, stop or promote the primary instance; only the failover control role may promote, and only
 * the standby.
 */
const config = loadConfig('prod');
const ACCOUNT = config.account;
const db = (region: string, name: string) => `arn:aws:rds:${region}:${ACCOUNT}:db:${name}`;
const PRIMARY = db(config.primaryRegion, 'authdb-prod');
const STANDBY = db(config.drRegion, 'authdb-prod-standby');
const HARMFUL = [
  'rds:ModifyDBInstance',
  'rds:DeleteDBInstance',
  'rds:RebootDBInstance',
  'rds:StopDBInstance',
  'rds:PromoteReadReplica',
];

/** Every role but RDS's enhanced-monitoring role (assumed by RDS only; its AWS-managed policy writes OS metrics). */
function rolesOf(template: Template): string[] {
  return Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => !id.includes('MonitoringRole'));
}

describe('DR-region IAM guard (prod)', () => {
  const roles = new Map<string, RolePolicies>();

  beforeAll(() => {
    const where = { account: ACCOUNT, region: config.drRegion };
    const standby = templateOf('prod', 'drStandby');
    const recovery = templateOf('prod', 'drRecovery');
    const others = [standby, templateOf('prod', 'drRegion')];
    for (const [name, template] of [
      ['drStandby', standby],
      ['drRecovery', recovery],
    ] as const) {
      for (const id of rolesOf(template)) roles.set(`${name}/${id}`, rolePolicies(template, id, where, others));
    }
    expect([...roles.keys()].some((k) => k.includes('FailoverFailoverControlRole'))).toBe(true);
  });

  it('lets no DR-region role modify, delete, reboot, stop or promote the primary instance', async () => {
    for (const [, role] of roles) {
      for (const action of HARMFUL) await expectNotAllowed(decide(role, action, PRIMARY));
    }
  }, 180_000);

  it('lets only the failover control role promote, and only the standby', async () => {
    for (const [name, role] of roles) {
      const expected = name.includes('FailoverFailoverControlRole') ? 'Allowed' : undefined;
      if (expected) await expectDecision(decide(role, 'rds:PromoteReadReplica', STANDBY), 'Allowed');
      else await expectNotAllowed(decide(role, 'rds:PromoteReadReplica', STANDBY));
      for (const other of [db(config.drRegion, 'authdb-prod-dr-1'), db(config.drRegion, 'authdb-prod-delayed')]) {
        await expectNotAllowed(decide(role, 'rds:PromoteReadReplica', other));
      }
      // Nobody here may modify, delete, reboot or stop the standby either (the promotion sets its backups itself).
      for (const action of HARMFUL.filter((a) => a !== 'rds:PromoteReadReplica')) {
        await expectNotAllowed(decide(role, action, STANDBY));
      }
    }
  }, 180_000);
});
