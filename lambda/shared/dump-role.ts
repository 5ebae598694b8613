import type pg from 'pg';
import { quoteName } from './row-counts.js';

export interface DumpRoleOptions {
  role: string;
  database: string;
  /** Grant `rds_iam` (IAM database authentication) when the server has that role, as RDS does. */
  iamAuth: boolean;
}

/**
 * Creates or converges the login role the logical dump (pg_dump) uses: it reads every table, sequence and schema
 * through the predefined role `pg_read_all_data`, and its sessions are read-only by default. Kept apart from the
 * verifier's role: pg_dump needs to read everything, whatever the verifier is narrowed to. Safe to run again.
 */
export async function ensureDumpRole(client: pg.Client, opts: DumpRoleOptions): Promise<{ created: boolean }> {
  const role = quoteName(opts.role, 'role name');
  const database = quoteName(opts.database, 'database name');
  const existing = await client.query<{ rolsuper: boolean; rolreplication: boolean; rolbypassrls: boolean }>(
    'SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1',
    [opts.role],
  );
  const current = existing.rows[0];
  if (current === undefined) {
    await client.query(`CREATE ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT`);
  } else if (current.rolsuper || current.rolreplication || current.rolbypassrls) {
    throw new Error(
      `Role ${opts.role} already exists with SUPERUSER, REPLICATION or BYPASSRLS; refusing to use it as the read-only dump role`,
    );
  } else {
    await client.query(`ALTER ROLE ${role} WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT`);
  }
  await client.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
  await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
  await client.query(`GRANT pg_read_all_data TO ${role}`);
  if (opts.iamAuth) {
    const rdsIam = await client.query(`SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'`);
    if (rdsIam.rowCount === 1) await client.query(`GRANT rds_iam TO ${role}`);
  }
  return { created: current === undefined };
}
