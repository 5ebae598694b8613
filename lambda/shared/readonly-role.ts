import type pg from 'pg';
import { quoteName } from './row-counts.js';
import { installVerificationFunctions, type VerifiedTableDefinition } from './verification-functions.js';

export interface VerifierRoleOptions {
  role: string;
  database: string;
  /** Put on the role's search_path, so the verifier can name tables without a schema. */
  schemas: string[];
  /** Grant `rds_iam` (IAM database authentication) when the server has that role, as RDS does. */
  iamAuth: boolean;
  /** The tables the verification functions may count and digest. */
  tables: VerifiedTableDefinition[];
}

export interface VerifierRoleState {
  created: boolean;
  rdsIamGranted: boolean;
}

/**
 * Creates or converges the login role the drill verifier uses: it reads no table. It may only execute the
 * verification functions (counts, digests: never row values) and read the catalogs (schema check), and it cannot
 * write (no privileges, and read-only transactions by default). Safe to run again.
 */
export async function ensureVerifierRole(client: pg.Client, opts: VerifierRoleOptions): Promise<VerifierRoleState> {
  const role = quoteName(opts.role, 'role name');
  const database = quoteName(opts.database, 'database name');
  const schemas = opts.schemas.map((schema) => quoteName(schema, 'schema name'));

  const existing = await client.query<{ rolsuper: boolean; rolreplication: boolean; rolbypassrls: boolean }>(
    'SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1',
    [opts.role],
  );
  const current = existing.rows[0];
  if (current === undefined) {
    await client.query(`CREATE ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT`);
  } else if (current.rolsuper || current.rolreplication || current.rolbypassrls) {
    // Only a superuser could take these away (RDS has none), and a verifier must not keep them.
    throw new Error(
      `Role ${opts.role} already exists with SUPERUSER, REPLICATION or BYPASSRLS; refusing to use it as the read-only verifier`,
    );
  } else {
    // Without SUPERUSER/REPLICATION clauses: on RDS only a superuser may name those, even to turn them off.
    await client.query(`ALTER ROLE ${role} WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT`);
  }

  await client.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
  if (schemas.length > 0) {
    await client.query(`ALTER ROLE ${role} SET search_path = ${schemas.join(', ')}`);
  }
  await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
  // Earlier versions granted pg_read_all_data (password hashes, OAuth tokens): taken away on every run.
  await client.query(`REVOKE pg_read_all_data FROM ${role}`);
  await installVerificationFunctions(client, { verifierRole: opts.role, tables: opts.tables });

  let rdsIamGranted = false;
  if (opts.iamAuth) {
    const rdsIam = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'`);
    if (rdsIam.rowCount === 1) {
      await client.query(`GRANT rds_iam TO ${role}`);
      rdsIamGranted = true;
    }
  }
  return { created: current === undefined, rdsIamGranted };
}
