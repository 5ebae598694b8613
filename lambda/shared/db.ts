import { readFileSync } from 'node:fs';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';

/** Where the Node.js Lambda runtime ships the RDS CA bundle; it does not trust it by itself. */
export const RDS_CA_BUNDLE_PATH = '/var/runtime/ca-cert.pem';

export interface DbEndpoint {
  host: string;
  port: number;
  database: string;
  user: string;
}

declare const verifiedTls: unique symbol;

/**
 * TLS settings that verify the server certificate and its host name. Only `tlsOptions` makes one, so code that
 * connects cannot turn certificate verification off.
 */
export interface VerifiedTlsOptions {
  readonly rejectUnauthorized: true;
  readonly ca: string;
  readonly servername: string;
  readonly [verifiedTls]: true;
}

export function tlsOptions(caBundlePath: string, host: string): VerifiedTlsOptions {
  let ca: string;
  try {
    ca = readFileSync(caBundlePath, 'utf8');
  } catch (error) {
    throw new Error(
      `Cannot read the CA bundle at ${caBundlePath} needed to verify the database certificate: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`The CA bundle at ${caBundlePath} contains no PEM certificate`);
  }
  return { rejectUnauthorized: true, ca, servername: host } as VerifiedTlsOptions;
}

/** Produces the password for one connection attempt; called again for every new connection. */
export type PasswordSource = () => Promise<string>;

/**
 * IAM database authentication: a short-lived token signed with the function's own credentials, so no database
 * password is stored or passes through the workflow.
 */
export function iamAuthToken(endpoint: DbEndpoint, region: string): PasswordSource {
  const signer = new Signer({ hostname: endpoint.host, port: endpoint.port, username: endpoint.user, region });
  return () => signer.getAuthToken();
}

export interface ConnectOptions {
  /** Verified TLS; `undefined` only for a local test server without TLS (RDS with rds.force_ssl refuses it). */
  ssl: VerifiedTlsOptions | undefined;
  statementTimeoutMs: number;
  applicationName?: string;
  /** @default 10000 */
  connectTimeoutMs?: number;
}

export type ConnectionFactory = () => Promise<pg.Client>;

export async function connect(
  endpoint: DbEndpoint,
  password: PasswordSource,
  opts: ConnectOptions,
): Promise<pg.Client> {
  if (!Number.isInteger(opts.statementTimeoutMs) || opts.statementTimeoutMs <= 0) {
    throw new Error(`statementTimeoutMs must be a positive integer, got ${opts.statementTimeoutMs}`);
  }
  // A cast can still smuggle an unverified setting past the type; refuse it at run time too.
  if (opts.ssl !== undefined && opts.ssl.rejectUnauthorized !== true) {
    throw new Error('Refusing a TLS connection that does not verify the server certificate');
  }
  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    user: endpoint.user,
    password,
    // Explicit `false`: with `undefined`, pg falls back to PGSSLMODE, where `no-verify` disables verification.
    ssl: opts.ssl ?? false,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    application_name: opts.applicationName ?? 'authdb-dr',
    // Timestamps are compared and reported in UTC, whatever the server's default.
    options: `-c TimeZone=UTC -c statement_timeout=${opts.statementTimeoutMs}`,
  });
  // An idle connection dropped by the server emits 'error'; unhandled, that would crash the function. The next
  // query on the client fails with the reason, which is where it is handled.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    // pg's messages name host and user, never the password or token.
    throw new Error(
      `Cannot connect to ${endpoint.database} on ${endpoint.host}:${endpoint.port} as ${endpoint.user}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return client;
}
