import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { denyAllBut } from './deny-all-but.js';

/** Calls that would make every ciphertext of a key unreadable (at once, or after the pending window). */
export const KEY_DESTRUCTION_ACTIONS = ['kms:ScheduleKeyDeletion', 'kms:DisableKey'] as const;

/**
 * What the account may do to the key through IAM: describe and administer it. Use is a separate statement, and the
 * destructive calls among these are denied to all but the break-glass role (and, for the policy, the deployment role).
 */
export const KEY_ADMINISTRATION_ACTIONS = [
  'kms:DescribeKey',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:CreateAlias',
  'kms:UpdateAlias',
  'kms:DeleteAlias',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:RotateKeyOnDemand',
  'kms:UpdateKeyDescription',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:CancelKeyDeletion',
  'kms:RevokeGrant',
  'kms:RetireGrant',
  'kms:PutKeyPolicy',
  ...KEY_DESTRUCTION_ACTIONS,
] as const;

/** Cryptographic use, including the grants AWS services create on behalf of a caller (RDS, AWS Backup). */
export const KEY_USE_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncrypt*',
  'kms:GenerateDataKey*',
  'kms:DescribeKey',
  'kms:CreateGrant',
] as const;

/** The two roles exempt from the key policy's denies. */
export interface KeyAdministration {
  /**
   * The app's break-glass role (MFA only): the one principal that may disable the key, schedule its deletion,
   * re-write its policy or create a grant that is not for an AWS resource.
   */
  readonly breakGlassRole: iam.IRole;
  /**
   * The CDK bootstrap's CloudFormation execution role: a deploy that changes the policy calls kms:PutKeyPolicy as
   * this role, and KMS's lockout check at CreateKey requires that the creator may call it later.
   */
  readonly deploymentRole: iam.IRole;
}

export interface EncryptionKeyProps {
  /** Alias without the `alias/` prefix. */
  readonly alias: string;
  readonly description: string;
  readonly administration: KeyAdministration;
  /**
   * Services (`backup`, `rds`, ...) through which the account's principals may use the key, in this region.
   * @default - any path: IAM policies in the account decide who may use the key
   */
  readonly useOnlyVia?: string[];
  /**
   * A multi-Region primary key (its replicas are created elsewhere with `keyPolicyFor`): the account may then also
   * replicate it. @default false
   */
  readonly multiRegion?: boolean;
}

/**
 * A customer-managed KMS key with yearly rotation that outlives its stack: data encrypted with it (snapshots,
 * recovery points, logs) would be lost with the key. Its policy separates administration from use and gives no
 * account administrator the means to destroy it: disabling it, scheduling its deletion, re-writing its policy and
 * creating grants other than for AWS resources are denied to every principal but the break-glass role (the policy
 * also to the deployment role). Service statements are added with `key.addToResourcePolicy`.
 */
export class EncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Resource', {
      alias: `alias/${props.alias}`,
      description: props.description,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
      multiRegion: props.multiRegion,
      policy: keyPolicyFor(Stack.of(this), props),
    });
  }
}

/**
 * The policy of every key of this app (also of multi-Region replica keys, which take a policy of their own): the
 * account administers through IAM without the destructive calls, uses the key (through the named services only, if
 * any), and only the break-glass role may destroy it, re-write its policy (also the deployment role) or grant on it.
 */
export function keyPolicyFor(
  stack: Stack,
  props: Pick<EncryptionKeyProps, 'administration' | 'useOnlyVia' | 'multiRegion'>,
): iam.PolicyDocument {
  const { breakGlassRole, deploymentRole } = props.administration;
  const breakGlass = breakGlassRole.roleArn;
  const account = new iam.AccountRootPrincipal();
  const useConditions: Record<string, Record<string, unknown>> = {
    StringEquals: {
      'kms:CallerAccount': stack.account,
      ...(props.useOnlyVia && {
        'kms:ViaService': props.useOnlyVia.map((service) => `${service}.${stack.region}.amazonaws.com`),
      }),
    },
  };
  const policy = new iam.PolicyDocument({
    statements: [
      // The account administers the key through IAM, but only the actions named: no kms:* for the root.
      new iam.PolicyStatement({
        sid: 'AllowKeyAdministrationThroughIam',
        principals: [account],
        actions: [
          ...KEY_ADMINISTRATION_ACTIONS,
          ...(props.multiRegion ? ['kms:ReplicateKey', 'kms:UpdatePrimaryRegion'] : []),
        ],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: props.useOnlyVia ? 'AllowUseThroughNamedServicesInThisAccount' : 'AllowUseThroughIamInThisAccount',
        principals: [account],
        actions: [...KEY_USE_ACTIONS],
        resources: ['*'],
        conditions: useConditions,
      }),
      denyAllBut('DenyKeyDestructionExceptBreakGlass', KEY_DESTRUCTION_ACTIONS, [breakGlass]),
      denyAllBut(
        'DenyPolicyChangeExceptBreakGlassAndDeployment',
        ['kms:PutKeyPolicy'],
        [breakGlass, deploymentRole.roleArn],
      ),
      // A grant is a second, policy-free path to the key: only AWS services may create them (for the resources they
      // encrypt, on behalf of a caller allowed above), the break-glass role otherwise. IfExists: a direct CreateGrant
      // may carry no GrantIsForAWSResource key at all.
      denyAllBut('DenyGrantsExceptForAwsResourcesAndBreakGlass', ['kms:CreateGrant'], [breakGlass], {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false' },
      }),
    ],
  });
  return policy;
}
