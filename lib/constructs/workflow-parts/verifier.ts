import { Duration } from 'aws-cdk-lib';
import type { WorkflowEnvironmentValues } from '../function-environment.js';

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
 * The timeout every row-count verifier shares (drills and restore-test validation): a minute beyond the statement
 * timeout, so a slow count fails with its own error rather than the function's.
 */
export function verifierTimeout(v: Pick<VerifierSettings, 'statementTimeout'>): Duration {
  return Duration.seconds(v.statementTimeout.toSeconds() + 60);
}

/** The environment every drill verifier shares (the drill's own; the others add theirs). */
export function verifierEnvironment(v: VerifierSettings): WorkflowEnvironmentValues<'drill-verifier'> {
  return {
    DATABASE_NAME: v.databaseName,
    VERIFIER_USER: v.verifierUser,
    TABLES: v.tables,
    SETTLE_SECONDS: v.settle.toSeconds(),
    CONCURRENCY: v.concurrency,
    STATEMENT_TIMEOUT_MS: v.statementTimeout.toMilliseconds(),
  };
}
