import { PROOF_PURPOSE_HEADER, PROOF_TTL_SECONDS } from '../../contract/identity-proof.js';
import { cut, WorkflowError } from './errors.js';

export interface IdentityCheck {
  /** The host proofs must be signed for: the STS endpoint of this region (contract/identity-proof.ts, stsHost). */
  stsHost: string;
  /** Where the proof is sent. @default https://<stsHost> (tests: a local stand-in that checks the signature) */
  stsEndpoint?: string;
  /** Only principals of this account count (the environment's). */
  account: string;
  fetch: typeof fetch;
  now: () => Date;
}

/** Who signed a proof, as STS says. */
export interface Principal {
  arn: string;
  /**
   * The person behind the ARN as far as IAM tells: account + role + session for an assumed role (the role ARN STS
   * returns carries no path), else the whole ARN. Two proofs with the same key are one principal.
   */
  key: string;
}

const QUERY_ALLOWED = new Set([
  'Action',
  'Version',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);

function refuse(why: string): never {
  throw new WorkflowError('InvalidIdentityProof', `Identity proof refused: ${why}`);
}

/** `yyyymmddThhmmssZ` (SigV4's X-Amz-Date) as a Date. */
function amzDate(text: string | null): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : undefined;
}

/**
 * The form is checked here (an STS GetCallerIdentity request of this region, signed with the purpose header, recent);
 * the signature is checked by STS itself: the request is sent to STS with the expected purpose, and STS answers with
 * the signer's ARN only if the signature covers exactly that purpose. A proof is never logged or returned.
 */
export async function verifyIdentityProof(proof: string, purpose: string, check: IdentityCheck): Promise<Principal> {
  let url: URL;
  try {
    url = new URL(proof);
  } catch {
    return refuse(`not a URL (${proof.length} characters); allowed: a presigned sts:GetCallerIdentity URL`);
  }
  if (url.protocol !== 'https:' || url.hostname !== check.stsHost || url.port !== '' || url.pathname !== '/') {
    refuse(`it is for ${cut(url.origin + url.pathname)}; allowed: https://${check.stsHost}/`);
  }
  const q = url.searchParams;
  const unknown = [...q.keys()].filter((k) => !QUERY_ALLOWED.has(k));
  if (unknown.length > 0) refuse(`unexpected parameter(s) ${cut(unknown.join(', '))}`);
  if (q.get('Action') !== 'GetCallerIdentity' || q.get('Version') !== '2011-06-15') {
    refuse(`Action = ${cut(String(q.get('Action')))}; allowed: GetCallerIdentity (Version 2011-06-15)`);
  }
  const signed = (q.get('X-Amz-SignedHeaders') ?? '').split(';');
  if (!signed.includes('host') || !signed.includes(PROOF_PURPOSE_HEADER)) {
    refuse(`signed headers ${cut(signed.join(';'))}; allowed: host and ${PROOF_PURPOSE_HEADER}`);
  }
  const signedAt = amzDate(q.get('X-Amz-Date'));
  const ageSeconds = signedAt ? (check.now().getTime() - signedAt.getTime()) / 1000 : Number.NaN;
  // A minute of clock skew either way.
  if (!(ageSeconds >= -60 && ageSeconds <= PROOF_TTL_SECONDS + 60)) {
    refuse(`signed at ${cut(String(q.get('X-Amz-Date')))}; allowed: within the last ${PROOF_TTL_SECONDS} seconds`);
  }
  const endpoint = check.stsEndpoint ?? `https://${check.stsHost}`;
  let response: Response;
  try {
    response = await check.fetch(`${endpoint}/?${q.toString()}`, {
      headers: { [PROOF_PURPOSE_HEADER]: purpose },
      redirect: 'error',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new WorkflowError(
      'IdentityCheckUnavailable',
      `Cannot reach STS to check the proof: ${(error as Error).name}`,
    );
  }
  const body = await response.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
  if (response.status !== 200) {
    refuse(
      `STS answered ${response.status} ${field('Code') ?? ''}: it is not a valid signature, has expired, or was ` +
        `made for another purpose than ${cut(purpose)}`,
    );
  }
  const arn = field('Arn');
  const account = field('Account');
  if (!arn || !account) return refuse('STS answered without an ARN');
  if (account !== check.account) refuse(`signed by ${cut(arn)}; allowed: a principal of account ${check.account}`);
  return { arn, key: principalKey(arn) };
}

/** See Principal.key. */
export function principalKey(arn: string): string {
  const assumed = /^arn:[a-z-]+:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  // Role names are unique regardless of case in IAM; the session name is the caller's to choose (README, limits).
  return assumed ? `${assumed[1]}:role/${assumed[2]!.toLowerCase()}/session/${assumed[3]}` : arn;
}
