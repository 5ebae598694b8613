import { BackupClient } from '@aws-sdk/client-backup';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { DATABASE_CLIENT_RUNTIME } from '../../contract/env.js';
import { functionEnvironment } from '../shared/env.js';
import { parseInput } from '../shared/errors.js';
import { verifierConnector } from '../shared/iam-connection.js';
import { createLogger, lambdaHandler } from '../shared/observability.js';
import { describeRestoreTest, recordRestoreTest, type ValidationConfig, validateRestoreTest } from './validation.js';

const logger = createLogger('restore-test-validation');
const env = functionEnvironment('restore-test-validation', DATABASE_CLIENT_RUNTIME);
const config: ValidationConfig = {
  environment: env.ENVIRONMENT,
  restoreTestingPlanArn: env.RESTORE_TESTING_PLAN_ARN,
  source: { host: env.SOURCE_HOST, port: env.SOURCE_PORT },
  tables: env.TABLES,
  settleSeconds: env.SETTLE_SECONDS,
  concurrency: env.CONCURRENCY,
  maxDataAgeSeconds: env.MAX_DATA_AGE_SECONDS,
  topicArn: env.ALERT_TOPIC_ARN,
};
const backup = new BackupClient({});
const sns = new SNSClient({});
// As the drill verifier connects.
const connectTo = verifierConnector(env, { applicationName: 'authdb-dr-restore-test-validation' });

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
