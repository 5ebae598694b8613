import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The reason every role of this project keeps its statements inline: each policy belongs to exactly one role, is
 * generated next to the resource it grants on, and is created and deleted with that role.
 */
const INLINE_POLICY_REASON =
  'The policy is attached to exactly one role and generated with the resources it grants on; it is created, ' +
  'reviewed and deleted with that role. A customer-managed policy would carry the same statements.';

/** Acknowledges NIST/HIPAA IAMNoInlinePolicy on the default policy of one role (or any construct's subtree). */
export function acknowledgeInlinePolicy(scope: IConstruct): void {
  Validations.of(scope).acknowledge(
    { id: 'NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy', reason: INLINE_POLICY_REASON },
    { id: 'HIPAA.Security::HIPAA.Security-IAMNoInlinePolicy', reason: INLINE_POLICY_REASON },
  );
}

/** Acknowledges one wildcard finding (`AwsSolutions-IAM5[...]`) on `scope`, with the reason it is needed. */
export function acknowledgeWildcard(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`, reason });
}
