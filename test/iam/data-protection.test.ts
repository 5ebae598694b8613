import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentStacks } from '../../lib/app.js';
import { loadConfig } from '../../lib/config/load.js';
import { templateOf } from '../support/app.js';
import {
  ADMINISTRATOR_ACCESS,
  principalWith,
  type RegionalTemplate,
  type RolePolicies,
  resolvedProperty,
  rolePolicies,
} from '../support/iam-policies.js';
import { decide, expectDecision, expectNotAllowed } from '../support/iam-simulation.js';

/**
 * Who can read the master secret, delete or share snapshots, delete automated backups, delete or shorten recovery
 * points and vaults, and invoke the functions: every role of every stack of each environment, through the IAM
 * policy simulator, with the vaults' access policies and the functions' resource policies as synthesized.
 */

/** Roles assumed only by AWS services, whose AWS-managed policies this project does not transcribe. */
const SERVICE_ROLES = ['PlanRole', 'RestoreTestingRole', 'DatabaseMonitoringRole'];
const STACKS = ['drRegion', 'database', 'backup', 'recovery', 'logicalBackupDr', 'logicalBackup'] as const;
const DR_STACKS: readonly string[] = ['drRegion', 'logicalBackupDr'];

describe.each(['dev', 'staging', 'prod'] as const)('data protection (%s)', (env) => {
  const config = loadConfig(env);
  const { account, primaryRegion: primary, drRegion: dr } = config;
  const roles = new Map<string, RolePolicies>();
  const role = (id: string) => roles.get(id) ?? expect.fail(`role ${id} not loaded`);
  const admin = principalWith(`arn:aws:iam::${account}:role/Administrator`, ADMINISTRATOR_ACCESS);
  const secret = `arn:aws:secretsmanager:${primary}:${account}:secret:rds!db-authdb-${env}-AbCdEf`;
  let vaultPolicies: Record<'primary' | 'dr', unknown>;
  let secretsEndpoint = '';
  let stsEndpoint = '';
  let readerTrust: unknown;
  let readerArn = '';
  /** The database's key, which encrypts the master secret (the resolver names a key by its logical id). */
  let databaseKey = '';

  beforeAll(() => {
    const t = Object.fromEntries(STACKS.map((s) => [s, templateOf(env, s)])) as Record<
      keyof EnvironmentStacks,
      Template
    >;
    const regionOf = (s: keyof EnvironmentStacks) => (DR_STACKS.includes(s) ? dr : primary);
    for (const stack of STACKS) {
      const others: (Template | RegionalTemplate)[] = STACKS.filter((o) => o !== stack).map((o) =>
        DR_STACKS.includes(o) ? { template: t[o], region: dr } : t[o],
      );
      for (const id of Object.keys(t[stack].findResources('AWS::IAM::Role'))) {
        const prefix = id.slice(0, -8);
        if (SERVICE_ROLES.includes(prefix)) continue;
        roles.set(`${stack}/${prefix}`, rolePolicies(t[stack], prefix, { account, region: regionOf(stack) }, others));
      }
    }
    const vault = (template: Template, region: string) => {
      const [id] = Object.keys(template.findResources('AWS::Backup::BackupVault'));
      return resolvedProperty(template, id!, 'AccessPolicy', { account, region });
    };
    vaultPolicies = { primary: vault(t.backup, primary), dr: vault(t.drRegion, dr) };
    const [endpoint] = Object.keys(t.recovery.findResources('AWS::EC2::VPCEndpoint')).filter((id) =>
      id.startsWith('VerifierRoleSecretsManagerEndpoint'),
    );
    secretsEndpoint = endpoint!;
    stsEndpoint = Object.keys(t.recovery.findResources('AWS::EC2::VPCEndpoint')).find((id) =>
      id.startsWith('VerifierRoleSecretAccessStsEndpoint'),
    )!;
    const readerId = Object.keys(t.recovery.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith('VerifierRoleSecretAccessReaderRole'),
    )!;
    const others = STACKS.filter((o) => o !== 'recovery').map((o) =>
      DR_STACKS.includes(o) ? { template: t[o], region: dr } : t[o],
    );
    readerTrust = resolvedProperty(
      t.recovery,
      readerId,
      'AssumeRolePolicyDocument',
      { account, region: primary },
      others,
    );
    readerArn = role('recovery/VerifierRoleSecretAccessReaderRole').arn;
    const keyId = Object.keys(t.database.findResources('AWS::KMS::Key')).find((id) => id.startsWith('DatabaseKey'))!;
    databaseKey = `arn:aws:kms:${primary}:${account}:key/${keyId.toLowerCase()}`;
  });

  it('loads every role of the six stacks but the AWS service roles', () => {
    const ids = [...roles.keys()];
    expect(ids.length).toBeGreaterThanOrEqual(20);
    expect(ids).toEqual(
      expect.arrayContaining([
        'backup/BreakGlass',
        'recovery/VerifierRoleFunctionRole',
        'logicalBackup/JobTaskTaskRole',
        'logicalBackup/DumpsReplicationRole',
        'logicalBackupDr/AuditEventsForwardRole',
      ]),
    );
  });

  it("lets only the bootstrap's secret-reader role read the master secret, and only through its VPC endpoint", async () => {
    const bootstrap = 'recovery/VerifierRoleSecretAccessReaderRole';
    // The resolver names an endpoint by its logical id in lowercase (no real id exists before deploy).
    const throughEndpoint = { 'aws:SourceVpce': secretsEndpoint.toLowerCase() };
    await expectDecision(decide(role(bootstrap), 'secretsmanager:GetSecretValue', secret, throughEndpoint), 'Allowed');
    await expectNotAllowed(decide(role(bootstrap), 'secretsmanager:GetSecretValue', secret));
    await expectNotAllowed(
      decide(role(bootstrap), 'secretsmanager:GetSecretValue', secret, { 'aws:SourceVpce': 'vpce-0123456789abcdef0' }),
    );
    // The bootstrap function's own role among them: it reads only with a session of the reader role.
    expect(roles.has('recovery/VerifierRoleFunctionRole')).toBe(true);
    for (const [id, r] of roles) {
      if (id === bootstrap) continue;
      await expectNotAllowed(decide(r, 'secretsmanager:GetSecretValue', secret, throughEndpoint));
      await expectNotAllowed(decide(r, 'secretsmanager:GetSecretValue', secret));
    }
    // Decrypting: never directly, and the function's role not even through Secrets Manager. (The simulator cannot
    // evaluate kms:EncryptionContext:SecretARN; the construct test pins the reader's condition on it.)
    const viaSecretsManager = { 'kms:ViaService': `secretsmanager.${primary}.amazonaws.com` };
    await expectNotAllowed(decide(role(bootstrap), 'kms:Decrypt', databaseKey));
    await expectNotAllowed(
      decide(role('recovery/VerifierRoleFunctionRole'), 'kms:Decrypt', databaseKey, viaSecretsManager),
    );
    await expectNotAllowed(decide(role('recovery/VerifierRoleFunctionRole'), 'kms:Decrypt', databaseKey));
  });

  it("lets only the bootstrap function's role assume the secret-reader role, and only through the STS endpoint", async () => {
    const fn = role('recovery/VerifierRoleFunctionRole');
    const throughEndpoint = { 'aws:SourceVpce': stsEndpoint.toLowerCase() };
    await expectDecision(decide(fn, 'sts:AssumeRole', readerArn, throughEndpoint, readerTrust), 'Allowed');
    await expectNotAllowed(decide(fn, 'sts:AssumeRole', readerArn, {}, readerTrust));
    await expectNotAllowed(
      decide(fn, 'sts:AssumeRole', readerArn, { 'aws:SourceVpce': 'vpce-0123456789abcdef0' }, readerTrust),
    );
    // Nobody else, not even an administrator or the break-glass role, through the endpoint or not.
    for (const [id, r] of [...roles, ['admin', admin] as const]) {
      if (id === 'recovery/VerifierRoleFunctionRole') continue;
      await expectNotAllowed(decide(r, 'sts:AssumeRole', readerArn, throughEndpoint, readerTrust));
    }
  });

  it('lets no role delete or share a snapshot, or delete automated backups, in either region', async () => {
    for (const region of [primary, dr]) {
      const rds = (resource: string) => `arn:aws:rds:${region}:${account}:${resource}`;
      const snapshots = [
        rds('snapshot:awsbackup:job-0123abcd-4567-89ef-0123-456789abcdef'),
        rds(`snapshot:rds:authdb-${env}-2026-11-30-18-10`),
        rds(`snapshot:authdb-${env}-manual`),
      ];
      for (const [id, r] of roles) {
        for (const snapshot of snapshots) {
          for (const action of ['rds:DeleteDBSnapshot', 'rds:ModifyDBSnapshotAttribute', 'rds:ModifyDBSnapshot']) {
            await expectNotAllowed(decide(r, action, snapshot)).catch((e) => expect.fail(`${id}: ${e}`));
          }
        }
        await expectNotAllowed(decide(r, 'rds:DeleteDBInstanceAutomatedBackup', rds('auto-backup:ab-0123456789abc')));
      }
    }
  });

  it('lets no role but the break-glass role touch recovery points or vault policies, nor any role delete vaults or plans', async () => {
    for (const [region, name] of [
      [primary, 'primary'],
      [dr, 'dr'],
    ] as const) {
      const vault = `arn:aws:backup:${region}:${account}:backup-vault:authdb-dr-${env}-${name}`;
      const point = `arn:aws:backup:${region}:${account}:recovery-point:0123abcd-4567-89ef-0123-456789abcdef`;
      const plan = `arn:aws:backup:${region}:${account}:backup-plan:0123abcd-4567-89ef-0123-456789abcdef`;
      for (const [id, r] of roles) {
        const breakGlass = id === 'backup/BreakGlass';
        for (const action of [
          'backup:DeleteRecoveryPoint',
          'backup:UpdateRecoveryPointLifecycle',
          'backup:DisassociateRecoveryPoint',
        ]) {
          const decision = decide(r, action, point);
          if (breakGlass) await expectDecision(decision, 'Allowed');
          else await expectNotAllowed(decision);
        }
        for (const action of ['backup:PutBackupVaultAccessPolicy', 'backup:DeleteBackupVaultAccessPolicy']) {
          const decision = decide(r, action, vault);
          if (breakGlass) await expectDecision(decision, 'Allowed');
          else await expectNotAllowed(decision);
        }
        for (const action of ['backup:DeleteBackupVault', 'backup:DeleteBackupVaultLockConfiguration']) {
          await expectNotAllowed(decide(r, action, vault));
        }
        for (const action of ['backup:DeleteBackupPlan', 'backup:UpdateBackupPlan', 'backup:DeleteBackupSelection']) {
          await expectNotAllowed(decide(r, action, plan));
        }
      }
    }
  });

  it("denies an administrator the recovery points and the policy through each vault's own access policy", async () => {
    for (const [region, name] of [
      [primary, 'primary'],
      [dr, 'dr'],
    ] as const) {
      const vault = `arn:aws:backup:${region}:${account}:backup-vault:authdb-dr-${env}-${name}`;
      const policy = vaultPolicies[name];
      for (const action of [
        'backup:DeleteRecoveryPoint',
        'backup:UpdateRecoveryPointLifecycle',
        'backup:PutBackupVaultAccessPolicy',
        'backup:DeleteBackupVaultAccessPolicy',
      ]) {
        await expectDecision(decide(admin, action, vault, {}, policy), 'ExplicitlyDenied');
        await expectDecision(decide(role('backup/BreakGlass'), action, vault, {}, policy), 'Allowed');
      }
      // Deploys must still be able to change the vault's policy.
      const deployer = principalWith(
        `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`,
        ADMINISTRATOR_ACCESS,
      );
      await expectDecision(decide(deployer, 'backup:PutBackupVaultAccessPolicy', vault, {}, policy), 'Allowed');
    }
  });

  it('lets functions be invoked through their resource policies only by the EventBridge rule each names', () => {
    const recovery = templateOf(env, 'recovery');
    const permissions = Object.entries(recovery.findResources('AWS::Lambda::Permission'));
    expect(permissions.map(([id]) => id.slice(0, 20)).sort()).toEqual([
      'DrillCleanupAfterAbn',
      'DrillSweepHourlyAllo',
      'ReadinessScheduleAll',
    ]);
    for (const [id] of permissions) {
      const where = { account, region: primary };
      const functionArn = resolvedProperty(recovery, id, 'FunctionName', where) as string;
      const sourceArn = resolvedProperty(recovery, id, 'SourceArn', where) as string;
      expect(resolvedProperty(recovery, id, 'Principal', where)).toBe('events.amazonaws.com');
      expect(sourceArn).toMatch(new RegExp(`^arn:aws:events:${primary}:${account}:rule/`));
      expect(functionArn).toMatch(new RegExp(`^arn:aws:lambda:${primary}:${account}:function:`));
    }
  });
});
