import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentStacks } from '../../lib/app.js';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import {
  ADMINISTRATOR_ACCESS,
  principalWith,
  type RolePolicies,
  resolvedProperty,
  rolePolicies,
} from '../support/iam-policies.js';
import { decide, expectDecision, expectNotAllowed } from '../support/iam-simulation.js';

/**
 * The six KMS keys of an environment, evaluated by an IAM policy simulator with their REAL key policies (from the
 * synthesized templates) and the real break-glass role: no administrator, not even the root user, can disable a key,
 * schedule its deletion, re-write its policy or create a grant for itself; AWS services still can create the grants
 * they need; the break-glass role can do all of it; the CloudFormation execution role can still update the policy;
 * the vault keys are usable only through AWS Backup (and RDS for the DR vault).
 */

interface KeyUnderTest {
  stack: keyof EnvironmentStacks;
  prefix: string;
  where: 'primary' | 'dr';
  /** Services through which alone the account may use the key; undefined = any path (IAM decides). */
  onlyVia?: string[];
  /** A multi-Region replica is its own resource type, with its own policy. */
  type?: 'AWS::KMS::ReplicaKey';
}

const KEYS: KeyUnderTest[] = [
  { stack: 'database', prefix: 'DatabaseKey', where: 'primary' },
  { stack: 'drRegion', prefix: 'ReplicationKey', where: 'dr' },
  { stack: 'drRegion', prefix: 'BackupVaultKey', where: 'dr', onlyVia: ['backup', 'rds'] },
  { stack: 'backup', prefix: 'VaultKey', where: 'primary', onlyVia: ['backup'] },
  { stack: 'backup', prefix: 'AlertsKey', where: 'primary' },
  { stack: 'backup', prefix: 'AuditReportKey', where: 'primary' },
  { stack: 'logicalBackup', prefix: 'DumpsKey', where: 'primary' },
  { stack: 'logicalBackupDr', prefix: 'DumpsKey', where: 'dr' },
  { stack: 'logicalBackupDr', prefix: 'DumpKey', where: 'dr' },
  { stack: 'logicalBackup', prefix: 'DumpKey', where: 'primary', type: 'AWS::KMS::ReplicaKey' },
  { stack: 'drStandby', prefix: 'DatabaseKey', where: 'dr' },
  { stack: 'drRecovery', prefix: 'AlertsKey', where: 'dr' },
];
const KEY_TYPES = ['AWS::KMS::Key', 'AWS::KMS::ReplicaKey'];
const DESTROY = ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy'];

describe.each(['dev', 'staging', 'prod'] as const)('KMS key policies (%s)', (env) => {
  const config = loadConfig(env);
  const account = config.account;
  const regionOf = (where: 'primary' | 'dr') => (where === 'primary' ? config.primaryRegion : config.drRegion);
  const tags = { 'aws:ResourceTag/project': 'authdb-dr', 'aws:ResourceTag/environment': env };
  const admin = principalWith(`arn:aws:iam::${account}:role/Administrator`, ADMINISTRATOR_ACCESS);
  const rootUser = principalWith(`arn:aws:iam::${account}:root`);
  const deployer = (region: string) =>
    principalWith(
      `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
      ADMINISTRATOR_ACCESS,
    );
  let breakGlass: RolePolicies;
  const policies = new Map<string, unknown>();

  const templates = () => ({
    database: templateOf(env, 'database'),
    drRegion: templateOf(env, 'drRegion'),
    backup: templateOf(env, 'backup'),
    recovery: templateOf(env, 'recovery'),
    logicalBackup: templateOf(env, 'logicalBackup'),
    logicalBackupDr: templateOf(env, 'logicalBackupDr'),
    drStandby: templateOf(env, 'drStandby'),
    drRecovery: templateOf(env, 'drRecovery'),
    drDrill: templateOf(env, 'drDrill'),
  });
  const keyIdIn = (template: Template, prefix: string, type = 'AWS::KMS::Key') => {
    const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
    expect(ids, prefix).toHaveLength(1);
    return ids[0]!;
  };

  beforeAll(() => {
    const t = templates();
    breakGlass = rolePolicies(t.backup, 'BreakGlass', { account, region: config.primaryRegion }, [
      t.database,
      { template: t.drRegion, region: config.drRegion },
    ]);
    for (const key of KEYS) {
      const template = t[key.stack];
      const where = { account, region: regionOf(key.where) };
      policies.set(
        `${key.stack}/${key.prefix}`,
        resolvedProperty(template, keyIdIn(template, key.prefix, key.type), 'KeyPolicy', where),
      );
    }
  });

  it('covers every key of the environment: ten, none outside this list', () => {
    const all = Object.entries(templates()).flatMap(([stack, template]) =>
      KEY_TYPES.flatMap((type) => Object.keys(template.findResources(type))).map(
        (id) => `${stack}/${id.replace(/[0-9A-F]{8}$/, '')}`,
      ),
    );
    expect(all.sort()).toEqual(KEYS.map((k) => `${k.stack}/${k.prefix}`).sort());
  });

  it('names the break-glass role as the app creates it, trusted only with MFA', () => {
    expect(breakGlass.arn).toBe(`arn:aws:iam::${account}:role/${config.backup.breakGlassRoleName}`);
    const trust =
      templates().backup.findResources('AWS::IAM::Role')[breakGlass.logicalId]!.Properties.AssumeRolePolicyDocument
        .Statement;
    expect(trust).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Condition: {
          ArnEquals: { 'aws:PrincipalArn': config.breakGlass.trustedPrincipalArns },
          Bool: { 'aws:MultiFactorAuthPresent': 'true' },
        },
      }),
    ]);
  });

  describe.each(KEYS)('$stack/$prefix', (key) => {
    const region = regionOf(key.where);
    const arn = `arn:aws:kms:${region}:${account}:key/${key.prefix.toLowerCase()}-0000`;
    const policy = () => policies.get(`${key.stack}/${key.prefix}`);
    const service = (name: string) => ({ 'kms:ViaService': `${name}.${region}.amazonaws.com` });
    const viaOwnService = service(key.onlyVia?.[0] ?? 'rds');
    const inAccount = { 'kms:CallerAccount': account };

    it('lets no administrator, nor the root user, disable it, schedule its deletion or re-write its policy', async () => {
      for (const action of DESTROY) {
        await expectDecision(decide(admin, action, arn, {}, policy()), 'ExplicitlyDenied');
        await expectDecision(decide(rootUser, action, arn, {}, policy()), 'ExplicitlyDenied');
      }
    });

    it('lets no administrator grant on it, but lets AWS services create the grants for their resources', async () => {
      await expectDecision(decide(admin, 'kms:CreateGrant', arn, { ...inAccount }, policy()), 'ExplicitlyDenied');
      await expectDecision(
        decide(admin, 'kms:CreateGrant', arn, { ...inAccount, 'kms:GrantIsForAWSResource': 'false' }, policy()),
        'ExplicitlyDenied',
      );
      await expectDecision(
        decide(
          admin,
          'kms:CreateGrant',
          arn,
          { ...inAccount, ...viaOwnService, 'kms:GrantIsForAWSResource': 'true' },
          policy(),
        ),
        'Allowed',
      );
    });

    it('lets anyone allowed by IAM cancel a scheduled deletion', async () => {
      await expectDecision(decide(admin, 'kms:CancelKeyDeletion', arn, {}, policy()), 'Allowed');
    });

    it('lets the break-glass role do all of it, on the keys tagged with this environment only', async () => {
      // A vault key's grants, like its use, go through its services only, for the break-glass role too (which may
      // re-write the policy if an incident needs more).
      const grantPath = key.onlyVia ? viaOwnService : {};
      for (const action of [...DESTROY, 'kms:CreateGrant', 'kms:CancelKeyDeletion']) {
        const context = { ...inAccount, ...(action === 'kms:CreateGrant' ? grantPath : {}) };
        await expectDecision(decide(breakGlass, action, arn, { ...tags, ...context }, policy()), 'Allowed');
        await expectNotAllowed(
          decide(breakGlass, action, arn, { ...tags, 'aws:ResourceTag/environment': 'other', ...context }, policy()),
        );
      }
      if (key.onlyVia)
        await expectNotAllowed(decide(breakGlass, 'kms:CreateGrant', arn, { ...tags, ...inAccount }, policy()));
    });

    it("lets the stack's CloudFormation execution role update the policy, and nothing destructive", async () => {
      await expectDecision(decide(deployer(region), 'kms:PutKeyPolicy', arn, {}, policy()), 'Allowed');
      for (const action of ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:CreateGrant']) {
        await expectDecision(decide(deployer(region), action, arn, { ...inAccount }, policy()), 'ExplicitlyDenied');
      }
      // The execution role of the other region is an administrator like any other here.
      const other = key.where === 'primary' ? config.drRegion : config.primaryRegion;
      await expectDecision(decide(deployer(other), 'kms:PutKeyPolicy', arn, {}, policy()), 'ExplicitlyDenied');
    });

    if (key.onlyVia) {
      const via = key.onlyVia;
      it(`is usable by the account only through ${via.join(' and ')}`, async () => {
        for (const action of ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt']) {
          await expectNotAllowed(decide(admin, action, arn, { ...inAccount }, policy()));
          await expectNotAllowed(decide(admin, action, arn, { ...inAccount, ...service('s3') }, policy()));
          for (const name of via) {
            await expectDecision(decide(admin, action, arn, { ...inAccount, ...service(name) }, policy()), 'Allowed');
          }
        }
      });
    } else {
      it('is usable by principals of the account whose IAM policies allow it', async () => {
        await expectDecision(decide(admin, 'kms:Decrypt', arn, { ...inAccount }, policy()), 'Allowed');
        await expectNotAllowed(
          decide(principalWith(`arn:aws:iam::${account}:role/NoKms`), 'kms:Decrypt', arn, { ...inAccount }, policy()),
        );
      });
    }
  });
});
