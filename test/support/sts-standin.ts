import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../cli/identity-proof.js';

/** An IAM identity the stand-in knows: its key pair, and the ARN GetCallerIdentity answers with. */
export interface StsIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  arn: string;
  account: string;
}

/**
 * A local stand-in for STS GetCallerIdentity called with a presigned URL, as a verifier calls it: it recomputes the
 * SigV4 signature from the request it receives (the signed headers as sent, the host the URL was signed for) with the
 * identity's secret key, and refuses a wrong signature or an expired URL the way STS does.
 */
export class StsStandin {
  private server?: Server;
  readonly requests: { query: string; headers: Record<string, string | string[] | undefined> }[] = [];

  constructor(
    private readonly identities: StsIdentity[],
    /** The host the proofs are signed for (the real STS host of the region). */
    private readonly signedHost: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.answer(req.url ?? '/', req.headers)
        .then(([status, body]) => res.writeHead(status, { 'content-type': 'text/xml' }).end(body))
        .catch((error) => res.writeHead(500).end(String(error)));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async answer(path: string, headers: Record<string, string | string[] | undefined>) {
    const url = new URL(path, 'http://standin');
    this.requests.push({ query: url.search, headers });
    const q = Object.fromEntries(url.searchParams);
    const error = (status: number, code: string): [number, string] => [
      status,
      `<ErrorResponse><Error><Code>${code}</Code></Error></ErrorResponse>`,
    ];
    const [keyId, date, region, service] = (q['X-Amz-Credential'] ?? '').split('/');
    const identity = this.identities.find((i) => i.accessKeyId === keyId);
    if (!identity || q.Action !== 'GetCallerIdentity') return error(403, 'InvalidClientTokenId');
    const signedAt = q['X-Amz-Date']!.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z');
    if (this.now().getTime() > Date.parse(signedAt) + Number(q['X-Amz-Expires']) * 1000) {
      return error(403, 'ExpiredToken');
    }
    const signedHeaders = q['X-Amz-SignedHeaders']!.split(';');
    const sent: Record<string, string> = {};
    for (const name of signedHeaders) sent[name] = name === 'host' ? this.signedHost : String(headers[name] ?? '');
    const { 'X-Amz-Signature': signature, ...unsigned } = q;
    const signer = new SignatureV4({
      service: service!,
      region: region!,
      credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
      sha256: Sha256,
    });
    const expected = await signer.presign(
      { method: 'GET', protocol: 'https:', hostname: this.signedHost, path: '/', query: unsigned, headers: sent },
      { expiresIn: Number(q['X-Amz-Expires']), signingDate: new Date(signedAt) },
    );
    if (date !== signedAt.slice(0, 10).replace(/-/g, '') || expected.query?.['X-Amz-Signature'] !== signature) {
      return error(403, 'SignatureDoesNotMatch');
    }
    return [
      200,
      '<GetCallerIdentityResponse><GetCallerIdentityResult>' +
        `<Arn>${identity.arn}</Arn><UserId>AROA:${identity.accessKeyId}</UserId><Account>${identity.account}</Account>` +
        '</GetCallerIdentityResult></GetCallerIdentityResponse>',
    ] as [number, string];
  }
}

/**
 * Two operators of `account` in the same role, told apart by their session (as the two-person rule tells them apart):
 * Alice starts a cutover, Bob approves it.
 */
export function twoOperators(account: string): { ALICE: StsIdentity; BOB: StsIdentity } {
  const ALICE: StsIdentity = {
    accessKeyId: 'ASIAALICE',
    secretAccessKey: 'alice-secret',
    arn: `arn:aws:sts::${account}:assumed-role/DbOperator/alice`,
    account,
  };
  return {
    ALICE,
    BOB: { ...ALICE, accessKeyId: 'ASIABOB', secretAccessKey: 'bob', arn: ALICE.arn.replace('alice', 'bob') },
  };
}
