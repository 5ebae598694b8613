/**
 * AWS account ids, one per environment. The only place to change them.
 * These are placeholders: replace them with the real accounts before `cdk deploy`.
 */
export const ACCOUNTS = {
  dev: '111111111111',
  staging: '222222222222',
  prod: '333333333333',
} as const;
