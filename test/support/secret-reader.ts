import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  AssumeRoleCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  STSClient,
  type STSClientResolvedConfig,
} from '@aws-sdk/client-sts';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { BootstrapDeps } from '../../lambda/verifier-role-bootstrap/bootstrap.js';

/** The verifier role bootstrap's secret-reader role, as the custom resource names it. */
export const READER_ROLE_ARN = 'arn:aws:iam::111111111111:role/authdb-dr-dev-recovery-VerifierRoleSecretAccess-1a2b3c';

/** The function's own credentials (its execution role): they must never sign the secret's read. */
export const FUNCTION_CREDENTIALS = { accessKeyId: 'AKIAFUNCTIONROLE0001', secretAccessKey: 'function-role-key' };

/** The reader role's session credentials STS hands out (secret key and token are secrets too). */
export const READER_SESSION = {
  AccessKeyId: 'ASIAREADERSESSION001',
  SecretAccessKey: 'reader-session-Secret-Key',
  SessionToken: 'reader-session-Token-value',
  Expiration: new Date('2030-01-01T00:15:00Z'),
};

/** The STS and Secrets Manager ports of the bootstrap, as the handler builds them (real clients, to be mocked). */
export function secretReaderDeps(region = 'ap-northeast-2'): Pick<BootstrapDeps, 'sts' | 'secretsWith'> {
  return {
    sts: new STSClient({ region, credentials: FUNCTION_CREDENTIALS }),
    secretsWith: (credentials) => new SecretsManagerClient({ region, credentials }),
  };
}

/** STS answers AssumeRole of the reader role with `READER_SESSION`. */
export function mockReaderRole(stsMock: AwsStub<ServiceInputTypes, ServiceOutputTypes, STSClientResolvedConfig>): void {
  stsMock.on(AssumeRoleCommand, { RoleArn: READER_ROLE_ARN }).resolves({ Credentials: READER_SESSION });
}
