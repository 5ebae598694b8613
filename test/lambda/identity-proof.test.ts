import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityProof } from '../../cli/identity-proof.js';
import { proofPurpose, stsHost } from '../../contract/identity-proof.js';
import { type IdentityCheck, principalKey, verifyIdentityProof } from '../../lambda/shared/identity-proof.js';
import { type StsIdentity, StsStandin } from '../support/sts-standin.js';

const REGION = 'ap-northeast-2';
const ACCOUNT = '111111111111';
const HOST = stsHost(REGION);
const ALICE: StsIdentity = {
  accessKeyId: 'ASIAALICE',
  secretAccessKey: 'alice-secret',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/DbOperator/alice`,
  account: ACCOUNT,
};
const MALLORY: StsIdentity = {
  accessKeyId: 'ASIAMALLORY',
  secretAccessKey: 'mallory-secret',
  arn: 'arn:aws:sts::999999999999:assumed-role/Admin/mallory',
  account: '999999999999',
};
const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:authdb-dr-prod-restore:r-1`;
const NOW = new Date('2026-11-30T10:00:00Z');

let sts: StsStandin;
let check: IdentityCheck;

beforeAll(async () => {
  sts = new StsStandin([ALICE, MALLORY], HOST, () => NOW);
  check = { stsHost: HOST, stsEndpoint: await sts.start(), account: ACCOUNT, fetch, now: () => NOW };
});
afterAll(() => sts.stop());

const proofOf = (who: StsIdentity, purpose: string, at = NOW) => createIdentityProof(who, REGION, purpose, at);

describe('caller-identity proofs (presigned sts:GetCallerIdentity, checked by STS)', () => {
  it("learns the signer's ARN from STS, for the purpose the proof was signed for", async () => {
    const purpose = proofPurpose('approve', EXECUTION);
    const principal = await verifyIdentityProof(await proofOf(ALICE, purpose), purpose, check);
    expect(principal).toEqual({ arn: ALICE.arn, key: `${ACCOUNT}:role/dboperator/session/alice` });
    // The proof carries the purpose header in its signature, and the verifier sends that header.
    expect(sts.requests.at(-1)!.query).toContain('X-Amz-SignedHeaders=host%3Bx-authdb-dr-purpose');
    expect(sts.requests.at(-1)!.headers['x-authdb-dr-purpose']).toBe(purpose);
  });

  it('refuses a proof made for another purpose (a start proof cannot approve; another execution is refused)', async () => {
    const start = await proofOf(ALICE, proofPurpose('start', EXECUTION));
    await expect(verifyIdentityProof(start, proofPurpose('approve', EXECUTION), check)).rejects.toThrow(
      /STS answered 403 SignatureDoesNotMatch: it is not a valid signature, has expired, or was made for another purpose/,
    );
    const other = await proofOf(ALICE, proofPurpose('approve', `${EXECUTION}-other`));
    await expect(verifyIdentityProof(other, proofPurpose('approve', EXECUTION), check)).rejects.toThrow(
      /403 SignatureDoesNotMatch/,
    );
  });

  it('refuses a forged signature: the URL of one identity with the signature changed', async () => {
    const purpose = proofPurpose('approve', EXECUTION);
    const proof = (await proofOf(ALICE, purpose)).replace(/X-Amz-Signature=[0-9a-f]{8}/, 'X-Amz-Signature=00000000');
    await expect(verifyIdentityProof(proof, purpose, check)).rejects.toThrow(/403 SignatureDoesNotMatch/);
  });

  it('refuses an old proof without asking STS', async () => {
    const purpose = proofPurpose('approve', EXECUTION);
    const before = sts.requests.length;
    const old = await proofOf(ALICE, purpose, new Date(NOW.getTime() - 10 * 60_000));
    await expect(verifyIdentityProof(old, purpose, check)).rejects.toThrow(
      /Identity proof refused: signed at 20261130T095000Z; allowed: within the last 300 seconds/,
    );
    expect(sts.requests.length).toBe(before);
  });

  it('never sends a proof anywhere but STS of its region, and only GetCallerIdentity', async () => {
    const purpose = proofPurpose('approve', EXECUTION);
    const proof = await proofOf(ALICE, purpose);
    const before = sts.requests.length;
    const cases: [string, RegExp][] = [
      [
        proof.replace(HOST, 'sts.evil.example'),
        /it is for https:\/\/sts\.evil\.example\/; allowed: https:\/\/sts\.ap-northeast-2/,
      ],
      [proof.replace('https:', 'http:'), /allowed: https:\/\/sts\.ap-northeast-2\.amazonaws\.com\//],
      [
        proof.replace('Action=GetCallerIdentity', 'Action=AssumeRole'),
        /Action = AssumeRole; allowed: GetCallerIdentity/,
      ],
      [`${proof}&RoleArn=x`, /unexpected parameter\(s\) RoleArn/],
      ['not a url', /not a URL \(9 characters\)/],
    ];
    for (const [bad, message] of cases) await expect(verifyIdentityProof(bad, purpose, check)).rejects.toThrow(message);
    expect(sts.requests.length).toBe(before);
  });

  it("refuses a principal of another account (the environment's account only)", async () => {
    const purpose = proofPurpose('approve', EXECUTION);
    await expect(verifyIdentityProof(await proofOf(MALLORY, purpose), purpose, check)).rejects.toThrow(
      /signed by arn:aws:sts::999999999999:assumed-role\/Admin\/mallory; allowed: a principal of account 111111111111/,
    );
  });

  it('treats an assumed role as role + session, and any other ARN as itself', () => {
    expect(principalKey(`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_1a/bob@example.com`)).toBe(
      `${ACCOUNT}:role/awsreservedsso_admin_1a/session/bob@example.com`,
    );
    expect(principalKey(`arn:aws:sts::${ACCOUNT}:assumed-role/awsreservedsso_admin_1a/bob@example.com`)).toBe(
      principalKey(`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_1a/bob@example.com`),
    );
    expect(principalKey(`arn:aws:iam::${ACCOUNT}:user/ops/carol`)).toBe(`arn:aws:iam::${ACCOUNT}:user/ops/carol`);
  });
});
