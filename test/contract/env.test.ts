import { describe, expect, it } from 'vitest';
import { FUNCTION_ENVIRONMENTS, parseEnvironment } from '../../contract/env.js';

// Environment variables are parsed once per cold start with the function's contract schema: every bad variable is
// named, with its value cut short and what is allowed.
const verifier = FUNCTION_ENVIRONMENTS['drill-verifier'];
const good = {
  DATABASE_NAME: 'authdb',
  VERIFIER_USER: 'authdb_verifier',
  TABLES: '[{"name":"users","timeColumn":"created_at","tolerance":0}]',
  CONCURRENCY: '3',
  STATEMENT_TIMEOUT_MS: '60000',
  SETTLE_SECONDS: '300',
};

describe('parseEnvironment', () => {
  it('parses whole numbers, JSON lists (with the config schema) and leaves unread optional keys out', () => {
    expect(parseEnvironment(verifier, { ...good, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' })).toEqual({
      DATABASE_NAME: 'authdb',
      VERIFIER_USER: 'authdb_verifier',
      TABLES: [{ name: 'users', timeColumn: 'created_at', tolerance: 0 }],
      CONCURRENCY: 3,
      STATEMENT_TIMEOUT_MS: 60000,
      SETTLE_SECONDS: 300,
    });
  });

  it('names every missing variable; an empty one counts as missing', () => {
    expect(() => parseEnvironment(verifier, { ...good, DATABASE_NAME: '', CONCURRENCY: undefined })).toThrow(
      'Missing environment variable DATABASE_NAME; Missing environment variable CONCURRENCY',
    );
  });

  it.each([
    ['4.2', 'Environment variable CONCURRENCY must be a whole number, got "4.2"'],
    ['1e3', 'Environment variable CONCURRENCY must be a whole number, got "1e3"'],
    [' 3', 'Environment variable CONCURRENCY must be a whole number, got " 3"'],
    ['9007199254740993', 'Environment variable CONCURRENCY must be a whole number, got "9007199254740993"'],
  ])('refuses a whole number written %j', (value, message) => {
    expect(() => parseEnvironment(verifier, { ...good, CONCURRENCY: value })).toThrow(message);
  });

  it('cuts a long bad value short, saying its length', () => {
    const long = 'x'.repeat(500);
    expect(() => parseEnvironment(verifier, { ...good, SETTLE_SECONDS: long })).toThrow(
      `Environment variable SETTLE_SECONDS must be a whole number, got "${'x'.repeat(80)}…(500 characters)"`,
    );
  });

  it('names a JSON list that is not JSON, or not the expected shape, with what is wrong inside it', () => {
    expect(() => parseEnvironment(verifier, { ...good, TABLES: 'users' })).toThrow(
      'Environment variable TABLES must be JSON, got users',
    );
    expect(() => parseEnvironment(verifier, { ...good, TABLES: '[{"name":"Users","tolerance":-1}]' })).toThrow(
      'Invalid environment variable TABLES: 0.name = "Users"; allowed: a lowercase SQL name, optionally schema.name; ' +
        '0.tolerance = -1; allowed: 0 or more rows',
    );
    expect(() => parseEnvironment(verifier, { ...good, TABLES: '[]' })).toThrow(
      'Invalid environment variable TABLES: (input) = []; allowed: at least one table',
    );
    const failover = FUNCTION_ENVIRONMENTS['failover-control'];
    expect(() => parseEnvironment(failover, { INSTANCE_CLASSES: '"db.r6g.large"' })).toThrow(
      'Invalid environment variable INSTANCE_CLASSES: (input) = "db.r6g.large"; allowed: a list of RDS instance classes',
    );
  });

  it('accepts exactly true or false for a flag', () => {
    const control = FUNCTION_ENVIRONMENTS['restore-validate'];
    const env = {
      ENVIRONMENT: 'prod',
      SOURCE_INSTANCE_ID: 'authdb-prod',
      ALLOWED_INSTANCE_CLASSES: '["db.r6g.large"]',
      DATA_LOSS_ACK_AFTER_HOURS: '0.5',
      STS_HOST: 'sts.ap-northeast-2.amazonaws.com',
      ACCOUNT: '111111111111',
    };
    expect(parseEnvironment(control, { ...env, APPROVAL_REQUIRED: 'false' })).toMatchObject({
      APPROVAL_REQUIRED: false,
      DATA_LOSS_ACK_AFTER_HOURS: 0.5,
    });
    expect(parseEnvironment(control, { ...env, APPROVAL_REQUIRED: 'true' }).APPROVAL_REQUIRED).toBe(true);
    for (const value of ['TRUE', '1', 'yes', 'False']) {
      expect(() => parseEnvironment(control, { ...env, APPROVAL_REQUIRED: value })).toThrow(
        `Environment variable APPROVAL_REQUIRED must be true or false, got "${value}"`,
      );
    }
    expect(() =>
      parseEnvironment(control, { ...env, APPROVAL_REQUIRED: 'true', DATA_LOSS_ACK_AFTER_HOURS: '-1' }),
    ).toThrow('Environment variable DATA_LOSS_ACK_AFTER_HOURS must be a number >= 0, got "-1"');
  });

  it('refuses one rewind variable of the cutover without the other', () => {
    const cutover = FUNCTION_ENVIRONMENTS['restore-cutover'];
    const env = { SOURCE_INSTANCE_ID: 'authdb-prod', STATE_MACHINE_ARN: 'arn:aws:states:::stateMachine:restore' };
    expect(parseEnvironment(cutover, env)).toEqual(env);
    expect(() => parseEnvironment(cutover, { ...env, REWIND_STATE_MACHINE_ARN: 'arn:rewind' })).toThrow(
      'Environment variables REWIND_STATE_MACHINE_ARN and REWIND_TARGET_INSTANCE_ID go together: both or neither',
    );
  });
});
