import {
  type ConnectionFactory,
  type ConnectOptions,
  connect,
  type DbEndpoint,
  iamAuthToken,
  RDS_CA_BUNDLE_PATH,
  tlsOptions,
} from './db.js';

/** What a database client reads from its environment (contract/env.ts DATABASE_CLIENT_RUNTIME). */
export interface DatabaseClientRuntime {
  readonly AWS_REGION: string;
  /** @default RDS_CA_BUNDLE_PATH, the bundle the Node.js runtime ships */
  readonly CA_BUNDLE_PATH?: string;
}

/**
 * Connections to `endpoint` with IAM database authentication (a token signed for `signingRegion`, default the
 * function's own) and TLS verified against the RDS CA bundle: no password anywhere.
 */
export function iamConnection(
  endpoint: DbEndpoint,
  runtime: DatabaseClientRuntime,
  options: Omit<ConnectOptions, 'ssl'> & { signingRegion?: string },
): ConnectionFactory {
  const { signingRegion, ...connectOptions } = options;
  const password = iamAuthToken(endpoint, signingRegion ?? runtime.AWS_REGION);
  const ssl = tlsOptions(runtime.CA_BUNDLE_PATH ?? RDS_CA_BUNDLE_PATH, endpoint.host);
  return () => connect(endpoint, password, { ...connectOptions, ssl });
}

/** The environment every row-count verifier shares (contract/env.ts). */
export interface VerifierEnvironment extends DatabaseClientRuntime {
  readonly DATABASE_NAME: string;
  readonly VERIFIER_USER: string;
  readonly STATEMENT_TIMEOUT_MS: number;
}

/** The verifiers' `connectTo`: any endpoint, as the read-only verifier role, with the statement timeout. */
export function verifierConnector(
  env: VerifierEnvironment,
  options: { applicationName: string; connectTimeoutMs?: number; signingRegion?: (host: string) => string },
): (at: { host: string; port: number }) => ConnectionFactory {
  return (at) =>
    iamConnection({ host: at.host, port: at.port, database: env.DATABASE_NAME, user: env.VERIFIER_USER }, env, {
      statementTimeoutMs: env.STATEMENT_TIMEOUT_MS,
      applicationName: options.applicationName,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      ...(options.signingRegion ? { signingRegion: options.signingRegion(at.host) } : {}),
    });
}
