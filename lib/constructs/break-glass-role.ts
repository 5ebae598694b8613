import { Duration, Stack } from 'aws-cdk-lib';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PROTECTED_VAULT_ACTIONS } from './backup-vault.js';
import { KEY_DESTRUCTION_ACTIONS } from './encryption-key.js';
import { acknowledgeInlinePolicy, acknowledgeWildcard } from './nag.js';

/** What only the break-glass role may do to this app's keys (the key policies deny it to everyone else). */
export const BREAK_GLASS_KEY_ACTIONS = [
  ...KEY_DESTRUCTION_ACTIONS,
  'kms:CancelKeyDeletion',
  'kms:EnableKey',
  'kms:PutKeyPolicy',
  'kms:GetKeyPolicy',
  'kms:DescribeKey',
  'kms:CreateGrant',
  'kms:ListGrants',
  'kms:RevokeGrant',
] as const;

export interface BreakGlassRoleProps {
  readonly roleName: string;
  /** IAM users or roles that may assume the role, each only in a session with MFA. */
  readonly trustedPrincipalArns: string[];
  /** @default Duration.hours(1) */
  readonly maxSessionDuration?: Duration;
  /** Regions of the keys and vaults the role administers. */
  readonly regions: string[];
  /** Tags every key of this app carries in this environment: the role acts on those keys only. */
  readonly keyTags: Record<string, string>;
  /** The vaults whose recovery points and access policies only this role may change. */
  readonly vaults: backup.IBackupVault[];
}

/**
 * The incident role of an account: the only principal that may disable or schedule the deletion of this app's keys,
 * re-write their policies, grant on them, and delete recovery points or change the vaults' access policies (the key
 * and vault policies deny these to everyone else). Assumable only by the principals named in config, only with MFA,
 * for a short session; every use is a CloudTrail event the audit alerts watch.
 */
export class BreakGlassRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: BreakGlassRoleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    validate(this, props);
    const byAccount = new Map<string, string[]>();
    for (const arn of props.trustedPrincipalArns) {
      const account = arn.split(':')[4]!;
      byAccount.set(account, [...(byAccount.get(account) ?? []), arn]);
    }
    // The account is the principal and the ARN a condition: a named principal that does not exist (yet) would make
    // the whole trust policy invalid, and one that is re-created would silently lose its trust.
    const trusts = [...byAccount].map(([account, arns]) => ({
      principal: new iam.AccountPrincipal(account),
      conditions: { ArnEquals: { 'aws:PrincipalArn': arns }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
    }));
    const [first, ...more] = trusts;
    this.role = new iam.Role(this, 'Resource', {
      roleName: props.roleName,
      description: 'authdb-dr break-glass: key deletion/disable/policy/grants, recovery point deletion (MFA only)',
      assumedBy: new iam.PrincipalWithConditions(first!.principal, first!.conditions),
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
    });
    for (const { principal, conditions } of more) {
      this.role.assumeRolePolicy!.addStatements(
        new iam.PolicyStatement({ actions: ['sts:AssumeRole'], principals: [principal], conditions }),
      );
    }

    const keys = props.regions.map((region) => `arn:${stack.partition}:kms:${region}:${stack.account}:key/*`);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'AdministerThisEnvironmentsKeys',
        actions: [...BREAK_GLASS_KEY_ACTIONS],
        resources: keys,
        conditions: {
          StringEquals: Object.fromEntries(
            Object.entries(props.keyTags).map(([tag, value]) => [`aws:ResourceTag/${tag}`, value]),
          ),
        },
      }),
    );
    const recoveryPoints = props.regions.map(
      (region) => `arn:${stack.partition}:backup:${region}:${stack.account}:recovery-point:*`,
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ChangeRecoveryPointsAndVaultPolicies',
        actions: [...PROTECTED_VAULT_ACTIONS, 'backup:DescribeRecoveryPoint', 'backup:ListRecoveryPointsByBackupVault'],
        resources: [...props.vaults.map((vault) => vault.backupVaultArn), ...recoveryPoints],
      }),
    );

    acknowledgeInlinePolicy(this.role);
    // The finding names each resource as synthesized (account and partition are literal in an environment's stack).
    const finding = (arn: string) => `Resource::${JSON.stringify(stack.resolve(arn)).replace(/^"|"$/g, '')}`;
    for (const arn of keys) {
      acknowledgeWildcard(
        this.role,
        finding(arn),
        'Keys of three stacks in two regions, whose ids this stack does not know: limited by condition to the keys ' +
          'tagged with this project and environment.',
      );
    }
    for (const arn of recoveryPoints) {
      acknowledgeWildcard(
        this.role,
        finding(arn),
        'Recovery point ids are generated by AWS Backup; deleting one (once no lock protects it) is what this role is for.',
      );
    }
  }
}

function validate(scope: Construct, props: BreakGlassRoleProps): void {
  if (props.trustedPrincipalArns.length === 0) {
    throw new Error(`${scope.node.path}: trustedPrincipalArns must name at least one IAM user or role, but got none`);
  }
  if (Object.keys(props.keyTags).length === 0) {
    // Without a tag condition the role would administer every key of the account.
    throw new Error(`${scope.node.path}: keyTags must name at least one tag of this app's keys, but got none`);
  }
}
