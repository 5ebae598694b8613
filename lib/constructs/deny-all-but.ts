import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * A resource-policy statement that denies `actions` to every principal but the roles `except` (by aws:PrincipalArn:
 * the role's ARN for each of its sessions, unchanged when a deleted role is re-created under the same name, so no
 * principal id goes stale and no role must exist first). `alsoWhen` narrows the deny with further conditions.
 */
export function denyAllBut(
  sid: string,
  actions: readonly string[],
  except: readonly [string, ...string[]],
  alsoWhen: Record<string, Record<string, unknown>> = {},
): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: [...actions],
    resources: ['*'],
    conditions: {
      ArnNotEquals: { 'aws:PrincipalArn': except.length === 1 ? except[0] : [...except] },
      ...alsoWhen,
    },
  });
}
