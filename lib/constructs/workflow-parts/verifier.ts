import { Duration } from 'aws-cdk-lib';

export interface VerifierSettings {
  readonly databaseName: string;
  /** Read-only PostgreSQL role the verifier logs in as, with IAM database authentication. */
  readonly verifierUser: string;
  readonly tables: ReadonlyArray<{ name: string; timeColumn?: string; tolerance: number }>;
  readonly settle: Duration;
  readonly concurrency: number;
  readonly statementTimeout: Duration;
}

/**
 * The timeout and environment every row-count verifier shares (drills and restore-test validation): a minute
 * beyond the statement timeout, so a slow count fails with its own error rather than the function's.
 */
export function verifierFunctionSettings(v: VerifierSettings, more: Record<string, string> = {}) {
  return {
    timeout: Duration.seconds(v.statementTimeout.toSeconds() + 60),
    environment: {
      DATABASE_NAME: v.databaseName,
      VERIFIER_USER: v.verifierUser,
      TABLES: JSON.stringify(v.tables),
      SETTLE_SECONDS: String(v.settle.toSeconds()),
      CONCURRENCY: String(v.concurrency),
      STATEMENT_TIMEOUT_MS: String(v.statementTimeout.toMilliseconds()),
      ...more,
    },
  };
}
