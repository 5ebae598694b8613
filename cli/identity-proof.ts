import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { PROOF_PURPOSE_HEADER, PROOF_TTL_SECONDS, stsHost } from '../contract/identity-proof.js';

/** What the SDK's credential providers resolve to. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/** SHA-256 (and its HMAC) in the shape the SigV4 signer takes. */
export class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/**
 * A presigned `sts:GetCallerIdentity` URL of `region`, its signature covering `purpose` in the purpose header
 * (contract/identity-proof.ts). It proves to the workflow who runs this command; the CLI never sends it to STS itself.
 */
export async function createIdentityProof(
  credentials: Credentials,
  region: string,
  purpose: string,
  now: Date,
): Promise<string> {
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256 });
  const host = stsHost(region);
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, [PROOF_PURPOSE_HEADER]: purpose },
    },
    { expiresIn: PROOF_TTL_SECONDS, signingDate: now },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>);
  return `https://${host}/?${query.toString()}`;
}
