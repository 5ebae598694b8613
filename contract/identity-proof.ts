/**
 * A caller-identity proof: a presigned `sts:GetCallerIdentity` request (the aws-iam-authenticator / Vault AWS-auth
 * pattern). Whoever executes it against STS learns the signer's ARN, and only the signer's secret key can make one.
 * The purpose header is part of the signature, so a proof made for one purpose (starting one restore execution,
 * approving one) is refused by STS when presented for any other.
 */
export const PROOF_PURPOSE_HEADER = 'x-authdb-dr-purpose';

/** A proof is accepted this long after it was signed (it is made right before it is sent). */
export const PROOF_TTL_SECONDS = 300;

export type ProofKind = 'start' | 'approve';

/** The purpose a proof is bound to: one kind of act on one execution. */
export function proofPurpose(kind: ProofKind, executionArn: string): string {
  return `${kind}:${executionArn}`;
}

/** The STS host a proof for `region` is signed for (and the only one a verifier sends it to). */
export function stsHost(region: string, urlSuffix = 'amazonaws.com'): string {
  return `sts.${region}.${urlSuffix}`;
}
