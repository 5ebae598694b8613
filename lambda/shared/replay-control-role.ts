import type pg from 'pg';
import { quoteName } from './row-counts.js';

/**
 * The functions the rewind workflow calls on the delayed replica. Only pause and resume are restricted by
 * PostgreSQL (superuser, or rds_superuser on RDS); the others are granted explicitly so the role keeps working if
 * a later hardening revokes them from PUBLIC.
 */
export const REPLAY_CONTROL_FUNCTIONS = [
  'pg_wal_replay_pause()',
  'pg_wal_replay_resume()',
  'pg_get_wal_replay_pause_state()',
  'pg_is_wal_replay_paused()',
  'pg_last_xact_replay_timestamp()',
  'pg_last_wal_receive_lsn()',
  'pg_last_wal_replay_lsn()',
] as const;

export interface ReplayControlRoleOptions {
  role: string;
  database: string;
  /** Grant `rds_iam` (IAM database authentication) when the server has that role, as RDS does. */
  iamAuth: boolean;
}

export interface ReplayControlRoleState {
  created: boolean;
  rdsIamGranted: boolean;
}

/**
 * Creates or converges the login role that pauses and resumes WAL replay on the delayed replica. It is created on
 * the primary and reaches the replica by replication. It may connect and execute the replay functions above, and
 * nothing else: no table privileges, no membership in a predefined role, read-only transactions. Safe to run again.
 */
export async function ensureReplayControlRole(
  client: pg.Client,
  opts: ReplayControlRoleOptions,
): Promise<ReplayControlRoleState> {
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
      `Role ${opts.role} already exists with SUPERUSER, REPLICATION or BYPASSRLS; refusing to use it as the replay-control role`,
    );
  } else {
    await client.query(`ALTER ROLE ${role} WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT`);
  }
  // A role found with memberships (granted by hand) would carry their privileges: the role must hold only its own.
  const memberships = await client.query<{ rolname: string }>(
    `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
      WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = $1) AND r.rolname <> 'rds_iam'`,
    [opts.role],
  );
  for (const { rolname } of memberships.rows) {
    await client.query(`REVOKE ${quoteName(rolname, 'role name')} FROM ${role}`);
  }

  await client.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`);
  await client.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
  for (const fn of REPLAY_CONTROL_FUNCTIONS) {
    await client.query(`GRANT EXECUTE ON FUNCTION pg_catalog.${fn} TO ${role}`);
  }

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
