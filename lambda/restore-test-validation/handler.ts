import { BackupClient } from '@aws-sdk/client-backup';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { verifiedTablesSchema } from '../../contract/config-values.js';
import { connect, type DbEndpoint, iamAuthToken, RDS_CA_BUNDLE_PATH, tlsOptions } from '../shared/db.js';
import type { Endpoint } from '../shared/drill.js';
import { requireEnv, requireIntEnv, requireJsonEnv } from '../shared/env.js';
import { parseInput } from '../shared/errors.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { describeRestoreTest, recordRestoreTest, type ValidationConfig, validateRestoreTest } from './validation.js';

const logger = createLogger('restore-test-validation');
const database = requireEnv('DATABASE_NAME');
const user = requireEnv('VERIFIER_USER');
const region = requireEnv('AWS_REGION');
const statementTimeoutMs = requireIntEnv('STATEMENT_TIMEOUT_MS');
const caBundlePath = process.env.CA_BUNDLE_PATH || RDS_CA_BUNDLE_PATH;
const config: ValidationConfig = {
  environment: requireEnv('ENVIRONMENT'),
  restoreTestingPlanArn: requireEnv('RESTORE_TESTING_PLAN_ARN'),
  source: { host: requireEnv('SOURCE_HOST'), port: requireIntEnv('SOURCE_PORT') },
  tables: requireJsonEnv('TABLES', verifiedTablesSchema),
  settleSeconds: requireIntEnv('SETTLE_SECONDS'),
  concurrency: requireIntEnv('CONCURRENCY'),
  maxDataAgeSeconds: requireIntEnv('MAX_DATA_AGE_SECONDS'),
  topicArn: requireEnv('ALERT_TOPIC_ARN'),
};
const backup = new BackupClient({});
const sns = new SNSClient({});

// IAM database authentication and TLS verified against the RDS CA bundle, as the drill verifier connects.
function connectTo(at: Endpoint) {
  const endpoint: DbEndpoint = { host: at.host, port: at.port, database, user };
  const password = iamAuthToken(endpoint, region);
  const ssl = tlsOptions(caBundlePath, at.host);
  return () =>
    connect(endpoint, password, { ssl, statementTimeoutMs, applicationName: 'authdb-dr-restore-test-validation' });
}

const action = z.object({ action: z.enum(['describe', 'validate', 'record']) }).loose();

export const handler = lambdaHandler(logger, async (event: unknown) => {
  const deps = { backup, sns, connectTo, now: () => new Date() };
  const { action: name } = parseInput(action, event, 'restore test validation event');
  const result =
    name === 'describe'
      ? await describeRestoreTest(event, config, deps)
      : name === 'validate'
        ? await validateRestoreTest(event, config, deps)
        : await recordRestoreTest(event, config, deps);
  logger.info(`restore test ${name}`, { result });
  return result;
});
