/**
 * The failover report's metric names, imported by its Lambda (which emits them) and the DR-region dashboard and
 * alarms (which read them), so synth does not load the Lambda's code. (lib/ may not import lambda/; the names move to
 * a contract/ module with issue 9.)
 */
export const FAILOVER_METRICS = {
  rto: 'FailoverRtoSeconds',
  rpo: 'FailoverRpoSeconds',
  succeeded: 'FailoverSucceeded',
  failed: 'FailoverFailed',
} as const;
