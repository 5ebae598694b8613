import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { BACKUP_CHANGE_EVENTS, DATABASE_CHANGE_EVENTS, KEY_CHANGE_EVENTS } from '../../lib/constructs/audit-alerts.js';
import { templateOf } from '../support/app.js';

/**
 * The audit trail's alerts (CloudTrail management events through EventBridge): which calls, on what, reach the alert
 * topic, from both regions, with a message naming the caller.
 */

// biome-ignore lint/suspicious/noExplicitAny: synthesized CloudFormation is untyped JSON
type Cfn = Record<string, any>;

function rules(template: Template, prefix: string): Record<string, Cfn> {
  return Object.fromEntries(
    Object.entries(template.findResources('AWS::Events::Rule'))
      .filter(([id]) => id.startsWith(prefix))
      .map(([id, r]) => [id.slice(prefix.length, -8), r.Properties as Cfn]),
  );
}

const topicRef = (template: Template) => {
  const ids = Object.keys(template.findResources('AWS::SNS::Topic'));
  expect(ids).toHaveLength(1);
  return { Ref: ids[0] };
};

describe.each(['dev', 'staging', 'prod'] as const)('audit alerts (%s)', (env) => {
  const config = loadConfig(env);
  // Synthesis is the slow part: done (and cached) before the tests, under the hook timeout.
  beforeAll(() => {
    for (const stack of ['backup', 'drRegion', 'recovery', 'database'] as const) templateOf(env, stack);
  });
  const backup = () => templateOf(env, 'backup');
  const keyIds = (template: Template, prefixes: string[]) =>
    Object.keys(template.findResources('AWS::KMS::Key')).filter((id) => prefixes.some((p) => id.startsWith(p)));

  it('has one rule per kind of audit event, each sending a line that names the caller to the alert topic', () => {
    const all = rules(backup(), 'AuditAlerts');
    expect(Object.keys(all).sort()).toEqual([
      'BackupChanged',
      'DatabaseChanged',
      'KeyChanged',
      'KeyGrantedByPerson',
      'RecoveryPointDeletionFailed',
    ]);
    for (const rule of Object.values(all)) {
      expect(rule.State).toBe('ENABLED');
      expect(rule.EventPattern['detail-type']).toEqual(['AWS API Call via CloudTrail']);
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].Arn).toEqual(topicRef(backup()));
      const transformer = rule.Targets[0].InputTransformer;
      expect(transformer.InputPathsMap).toMatchObject({
        'detail-eventName': '$.detail.eventName',
        'detail-userIdentity-arn': '$.detail.userIdentity.arn',
        'detail-errorCode': '$.detail.errorCode',
      });
      expect(transformer.InputTemplate).toMatch(/<detail-eventName> by <detail-userIdentity-arn>/);
    }
  });

  it('alerts on deletion, disabling and policy changes of all six keys, failed attempts included', () => {
    const pattern = rules(backup(), 'AuditAlerts').KeyChanged!.EventPattern;
    expect(pattern.source).toEqual(['aws.kms']);
    expect(pattern.detail.eventName).toEqual([...KEY_CHANGE_EVENTS]);
    expect(pattern.detail.errorCode).toBeUndefined();
    const arns = JSON.stringify(pattern.detail.resources.ARN);
    expect(pattern.detail.resources.ARN).toHaveLength(6);
    // The primary-region keys of this stack, the database key (export) and the two DR keys (cross-region reader).
    for (const id of keyIds(backup(), ['VaultKey', 'AlertsKey', 'AuditReportKey'])) expect(arns).toContain(id);
    for (const name of ['DatabaseKey', 'ReplicationKey', 'BackupVaultKey']) expect(arns).toContain(`FnGetAtt${name}`);
  });

  it('alerts on a grant on those keys that an AWS service did not create for its resource', () => {
    const { detail } = rules(backup(), 'AuditAlerts').KeyGrantedByPerson!.EventPattern;
    expect(detail.eventName).toEqual(['CreateGrant']);
    expect(detail.resources.ARN).toEqual(rules(backup(), 'AuditAlerts').KeyChanged!.EventPattern.detail.resources.ARN);
    expect(detail.userIdentity).toEqual({ invokedBy: [{ exists: false }] });
  });

  it('alerts on backup plan, selection, vault policy and vault lock deletions and stopped jobs, and on failed recovery-point deletions', () => {
    const all = rules(backup(), 'AuditAlerts');
    expect(all.BackupChanged!.EventPattern.detail.eventName).toEqual([...BACKUP_CHANGE_EVENTS]);
    for (const name of [
      'DeleteBackupPlan',
      'DeleteBackupSelection',
      'PutBackupVaultAccessPolicy',
      'DeleteBackupVaultLockConfiguration',
      'StopBackupJob',
    ]) {
      expect(BACKUP_CHANGE_EVENTS).toContain(name);
    }
    expect(all.RecoveryPointDeletionFailed!.EventPattern).toMatchObject({
      source: ['aws.backup'],
      detail: { eventName: ['DeleteRecoveryPoint'], errorCode: [{ exists: true }] },
    });
  });

  it('alerts on Modify, Delete and Reboot of the production instance, by any case of its id or as a new name', () => {
    const { source, detail } = rules(backup(), 'AuditAlerts').DatabaseChanged!.EventPattern;
    expect(source).toEqual(['aws.rds']);
    expect(detail.eventName).toEqual([...DATABASE_CHANGE_EVENTS]);
    const production = { 'Fn::ImportValue': expect.stringMatching(/^authdb-dr-.*-database:ExportsOutputRefDatabase/) };
    expect(detail.$or).toEqual([
      { requestParameters: { dBInstanceIdentifier: [{ 'equals-ignore-case': production }] } },
      { requestParameters: { newDBInstanceIdentifier: [{ 'equals-ignore-case': production }] } },
    ]);
    // The export is the production instance of this environment.
    const database = templateOf(env, 'database').toJSON();
    const instance = Object.values(database.Resources as Record<string, Cfn>).find(
      (r) => r.Type === 'AWS::RDS::DBInstance',
    )!;
    expect(instance.Properties.DBInstanceIdentifier).toBe(`authdb-${env}`);
  });

  it('forwards the DR region key and backup events to the primary region, with one role allowed only that', () => {
    const dr = templateOf(env, 'drRegion');
    const forwarded = rules(dr, 'AuditEvents');
    expect(Object.keys(forwarded).sort()).toEqual([
      'BackupChanged',
      'KeyChanged',
      'KeyGrantedByPerson',
      'RecoveryPointDeletionFailed',
    ]);
    const bus = `arn:aws:events:${config.primaryRegion}:${config.account}:event-bus/default`;
    const roles = new Set<string>();
    for (const rule of Object.values(forwarded)) {
      expect(rule.Targets).toHaveLength(1);
      expect(rule.Targets[0].Arn).toBe(bus);
      roles.add(JSON.stringify(rule.Targets[0].RoleArn));
    }
    expect(roles.size).toBe(1);
    const keys = forwarded.KeyChanged!.EventPattern.detail.resources.ARN;
    expect(keys).toEqual(keyIds(dr, ['ReplicationKey', 'BackupVaultKey']).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
    const policies = Object.values(dr.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('AuditEventsForwardRole'),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: bus },
    ]);
  });

  it('alerts on changes and person-made grants of the four logical dump keys, the DR-region ones forwarded', () => {
    const logical = templateOf(env, 'logicalBackup');
    const own = rules(logical, 'KeyAuditAlerts');
    expect(Object.keys(own).sort()).toEqual(['KeyChanged', 'KeyGrantedByPerson']);
    const arns = own.KeyChanged!.EventPattern.detail.resources.ARN;
    expect(own.KeyChanged!.EventPattern.detail.eventName).toEqual([...KEY_CHANGE_EVENTS]);
    expect(own.KeyGrantedByPerson!.EventPattern.detail.resources.ARN).toEqual(arns);
    expect(arns).toHaveLength(4);
    const text = JSON.stringify(arns);
    // This region's bucket key and dump key replica, and the DR region's two keys (cross-region references).
    expect(text).toContain(keyIds(logical, ['DumpsKey'])[0]);
    expect(text).toContain('DumpKey');
    expect(text.match(/ExportsReader|ImportValue|CrossRegion/g)?.length ?? 0).toBeGreaterThan(0);
    for (const rule of Object.values(own)) {
      expect(rule.Targets[0].Arn).toEqual({
        'Fn::ImportValue': expect.stringContaining('-backup:ExportsOutputRefAlerts'),
      });
    }
    const dr = templateOf(env, 'logicalBackupDr');
    const forwarded = rules(dr, 'AuditEvents');
    // Only the key events: the DR region stack already forwards the region's backup events.
    expect(Object.keys(forwarded).sort()).toEqual(['KeyChanged', 'KeyGrantedByPerson']);
    const forwardedIds = forwarded.KeyChanged!.EventPattern.detail.resources.ARN.map(
      (arn: Cfn) => arn['Fn::GetAtt'][0],
    );
    expect(forwardedIds.sort()).toEqual(keyIds(dr, ['DumpKey', 'DumpsKey']).sort());
    expect(forwardedIds).toHaveLength(2);
    expect(forwarded.KeyChanged!.Targets[0].Arn).toBe(
      `arn:aws:events:${config.primaryRegion}:${config.account}:event-bus/default`,
    );
  });

  it("alerts on every read of an RDS master secret but the bootstrap's secret-reader sessions and RDS, read-only events included", () => {
    const recovery = templateOf(env, 'recovery');
    const [rule, ...more] = Object.values(rules(recovery, 'VerifierRoleMasterSecretRead'));
    expect(more).toHaveLength(0);
    // Read-only management events (Get*) reach only rules that opt in.
    expect(rule!.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    const readers = Object.entries(recovery.findResources('AWS::IAM::Role')).filter(([id]) =>
      id.startsWith('VerifierRoleSecretAccessReaderRole'),
    );
    expect(readers).toHaveLength(1);
    const readerName = readers[0]![1].Properties.RoleName as string;
    expect(rule!.EventPattern).toEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: ['GetSecretValue'],
        requestParameters: { secretId: [{ wildcard: '*rds!db-*' }] },
        userIdentity: {
          arn: [
            {
              'anything-but': {
                wildcard: [
                  // Not the function's own role: its credentials cannot read the secret, so a read by it is news.
                  `arn:aws:sts::${config.account}:assumed-role/${readerName}/*`,
                  `arn:aws:sts::${config.account}:assumed-role/AWSServiceRoleForRDS/*`,
                ],
              },
            },
          ],
        },
      },
    });
    expect(rule!.Targets[0].Arn).toEqual({
      'Fn::ImportValue': expect.stringContaining('-backup:ExportsOutputRefAlerts'),
    });
  });
});
