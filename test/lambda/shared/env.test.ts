import { describe, expect, it } from 'vitest';
import { verifiedTablesSchema } from '../../../contract/config-values.js';
import { requireIntEnv, requireJsonEnv } from '../../../lambda/shared/env.js';

describe('environment variables, parsed once per cold start', () => {
  it('parses TABLES with the config schema', () => {
    const tables = requireJsonEnv('TABLES', verifiedTablesSchema, {
      TABLES: '[{"name":"users","timeColumn":"created_at","tolerance":0}]',
    });
    expect(tables).toEqual([{ name: 'users', timeColumn: 'created_at', tolerance: 0 }]);
  });

  it('names the variable when it is missing, not JSON, or not the expected shape', () => {
    expect(() => requireJsonEnv('TABLES', verifiedTablesSchema, {})).toThrow('Missing environment variable TABLES');
    expect(() => requireJsonEnv('TABLES', verifiedTablesSchema, { TABLES: 'users' })).toThrow(
      'Environment variable TABLES must be JSON, got users',
    );
    expect(() =>
      requireJsonEnv('TABLES', verifiedTablesSchema, { TABLES: '[{"name":"Users","tolerance":-1}]' }),
    ).toThrow(
      'Invalid environment variable TABLES: 0.name = "Users"; allowed: a lowercase SQL name, optionally schema.name; ' +
        '0.tolerance = -1; allowed: 0 or more rows',
    );
    expect(() => requireJsonEnv('TABLES', verifiedTablesSchema, { TABLES: '[]' })).toThrow(
      'Invalid environment variable TABLES: (input) = []; allowed: at least one table',
    );
  });

  it('requires whole numbers', () => {
    expect(requireIntEnv('N', { N: '42' })).toBe(42);
    expect(() => requireIntEnv('N', { N: '4.2' })).toThrow('Environment variable N must be a whole number, got "4.2"');
  });
});
