import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/load.js';
import { environmentStacks, templateOf } from '../support/app.js';

describe.each(['dev', 'prod'] as const)('DR-region stack (%s)', (env) => {
  const template = templateOf(env, 'drRegion');

  it('lives in the DR region with termination protection in prod', () => {
    const { drRegion } = environmentStacks(env);
    expect(drRegion.region).toBe('ap-northeast-1');
    expect(drRegion.terminationProtection).toBe(env === 'prod');
  });

  it('holds a retained, rotating key for the replicated automated backups, with a pinned logical id', () => {
    const keys = template.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toContain('ReplicationKey8BAFEBAB');
    const key = keys.ReplicationKey8BAFEBAB;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/authdb-dr/${env}/replicated-backups` });
  });
});

describe.each(['dev', 'prod'] as const)('DR-region backup vault (%s)', (env) => {
  const template = templateOf(env, 'drRegion');
  const account = loadConfig(env).account;
  const vault = () => template.findResources('AWS::Backup::BackupVault').BackupVaultF6ACEBC2!;

  it('pins the logical ids of the vault and its key, next to the unchanged replication key', () => {
    expect(Object.keys(template.findResources('AWS::Backup::BackupVault'))).toEqual(['BackupVaultF6ACEBC2']);
    expect(Object.keys(template.findResources('AWS::KMS::Key')).sort()).toEqual([
      'BackupVaultKey3DA79514',
      'ReplicationKey8BAFEBAB',
    ]);
  });

  it('encrypts the copies with its own retained, rotating key, whose only use statement is through AWS Backup and RDS', () => {
    expect(vault().Properties).toMatchObject({
      BackupVaultName: `authdb-dr-${env}-dr`,
      EncryptionKeyArn: { 'Fn::GetAtt': ['BackupVaultKey3DA79514', 'Arn'] },
    });
    expect(vault().DeletionPolicy).toBe('Retain');
    const key = template.findResources('AWS::KMS::Key').BackupVaultKey3DA79514!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const root = `arn:aws:iam::${account}:root`;
    const statements = key.Properties.KeyPolicy.Statement as {
      Sid: string;
      Effect: string;
      Principal: unknown;
      Condition?: unknown;
    }[];
    // The simulator (test/iam/keys.test.ts) proves what the whole policy admits; here its shape.
    for (const s of statements.filter((s) => s.Effect === 'Allow')) expect(s.Principal).toEqual({ AWS: root });
    const use = statements.find((s) => s.Sid === 'AllowUseThroughNamedServicesInThisAccount')!;
    expect(use.Condition).toEqual({
      StringEquals: {
        'kms:CallerAccount': account,
        // RDS itself copies the snapshots into this vault, re-encrypting them with this key.
        'kms:ViaService': ['backup.ap-northeast-1.amazonaws.com', 'rds.ap-northeast-1.amazonaws.com'],
      },
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/authdb-dr/${env}/dr-backup-vault` });
  });

  it(`locks the vault ${env === 'prod' ? 'in compliance mode around the copy retentions' : 'not at all'}`, () => {
    const lock = vault().Properties.LockConfiguration;
    if (env === 'prod') expect(lock).toEqual({ MinRetentionDays: 35, MaxRetentionDays: 365, ChangeableForDays: 3 });
    else expect(lock).toBeUndefined();
  });

  it('denies deleting and changing recovery points and the policy to all but the break-glass and deployment roles', () => {
    const [deny, ...others] = vault().Properties.AccessPolicy.Statement;
    expect(others).toEqual([]);
    const arn = (path: string) => `arn:aws:iam::${account}:${path}`;
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [
        'backup:DeleteRecoveryPoint',
        'backup:UpdateRecoveryPointLifecycle',
        'backup:DisassociateRecoveryPoint',
        'backup:PutBackupVaultAccessPolicy',
        'backup:DeleteBackupVaultAccessPolicy',
      ],
      Condition: {
        ArnNotEquals: {
          'aws:PrincipalArn': [
            arn('role/authdb-dr-break-glass'),
            arn(`role/cdk-hnb659fds-cfn-exec-role-${account}-ap-northeast-1`),
          ],
        },
      },
    });
  });
});

describe('DR-region backup vault (staging)', () => {
  it('locks the staging vault in governance mode (no cooling-off date)', () => {
    const staging = templateOf('staging', 'drRegion').findResources('AWS::Backup::BackupVault').BackupVaultF6ACEBC2!;
    expect(staging.Properties.LockConfiguration).toEqual({ MinRetentionDays: 7, MaxRetentionDays: 365 });
  });
});
