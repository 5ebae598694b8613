import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { RDS_CA_BUNDLE_PATH, tlsOptions } from '../shared/db.js';
import { createLogger } from '../shared/observability.js';
import { type BootstrapDeps, bootstrapVerifierRole, masterConnection, putResponse } from './bootstrap.js';

const logger = createLogger('verifier-role-bootstrap');
// Bounded: a request that hangs (no route to the endpoint) must fail in time to answer CloudFormation.
const bounded = { maxAttempts: 3, requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 } };
// The regional STS endpoint (the SDK's default), reached through the VPC's STS interface endpoint.
const sts = new STSClient(bounded);
// The function's own role cannot read the secret: this client signs with the reader role's session only.
const secretsWith: BootstrapDeps['secretsWith'] = (credentials) =>
  new SecretsManagerClient({ ...bounded, credentials });
// Always TLS, verified against the RDS CA bundle the Node.js runtime ships, with the host name checked.
const connectAsMaster = masterConnection((host) => tlsOptions(RDS_CA_BUNDLE_PATH, host));

/** Invoked directly by CloudFormation for `Custom::VerifierRole` (no provider framework). */
export const handler = async (event: unknown, context: Context) => {
  // The invocation (request id, function, cold start) on every line; a warm container drops the previous one's.
  logger.resetKeys();
  logger.addContext(context);
  await bootstrapVerifierRole(
    event,
    { sts, secretsWith, connect: connectAsMaster, respond: (url, body) => putResponse(url, body), logger },
    { remainingTimeMs: () => context.getRemainingTimeInMillis(), logStreamName: context.logStreamName },
  );
};
