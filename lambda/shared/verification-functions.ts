import type pg from 'pg';
import { z } from 'zod';
import { quoteName } from './sql-names.js';

/**
 * The database side of verification, installed by the bootstrap: a schema of SECURITY DEFINER functions that return
 * counts and digests of the configured tables, never row values. The verifier role may only EXECUTE them, so it
 * cannot read `password_hash` or `oauth_token`, yet counts and digests still run in the caller's transaction (and
 * so in the snapshot it imported).
 */
export const VERIFY_SCHEMA = 'authdb_verify';
/** NOLOGIN owner of the schema and its functions: the only role here that reads the tables (pg_read_all_data). */
export const VERIFY_OWNER = 'authdb_verify_owner';

/**
 * One table the functions may look at, and how (the fields of the drill config's table the database side needs;
 * other fields are ignored). Names are checked again by `quoteName` before anything is installed.
 */
export const verifiedTableDefinition = z.object({
  /** `table` or `schema.table`, as in the drill config. */
  name: z.string(),
  /** Rows stamped at or before the settle cutoff are the settled rows. */
  timeColumn: z.string().optional(),
  /** Integer key that splits the table into ranges. @default 'id' */
  keyColumn: z.string().optional(),
  /** Columns whose values enter the digest. @default - every column (the whole row) */
  digestColumns: z.array(z.string()).optional(),
});
export type VerifiedTableDefinition = z.infer<typeof verifiedTableDefinition>;

interface Row {
  name: string;
  schema_name: string;
  table_name: string;
  key_column: string;
  time_column: string | null;
  digest_columns: string[] | null;
}

function definitionRows(tables: VerifiedTableDefinition[]): Row[] {
  return tables.map((table) => {
    quoteName(table.name, 'table name', true);
    const [schemaName, tableName] = table.name.includes('.') ? table.name.split('.') : ['public', table.name];
    const keyColumn = table.keyColumn ?? 'id';
    quoteName(keyColumn, 'key column');
    if (table.timeColumn !== undefined) quoteName(table.timeColumn, 'time column');
    for (const column of table.digestColumns ?? []) quoteName(column, 'digest column');
    if (table.digestColumns !== undefined && table.digestColumns.length === 0) {
      throw new Error(`Table ${table.name} has an empty digestColumns list: name at least one column, or omit it`);
    }
    return {
      name: table.name,
      schema_name: schemaName,
      table_name: tableName,
      key_column: keyColumn,
      time_column: table.timeColumn ?? null,
      digest_columns: table.digestColumns ?? null,
    };
  });
}

// Every function: SECURITY DEFINER with search_path pinned (pg_temp last, so no temporary object can shadow a
// name), and the settings that shape a row's text pinned too, so the same row hashes the same on every server.
const PINNED = `SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET TimeZone = 'UTC'
  SET DateStyle = 'ISO, YMD'
  SET IntervalStyle = 'postgres'
  SET extra_float_digits = 1
  SET bytea_output = 'hex'`;

// Digests run on several connections at once, one key range each: a parallel plan per range only makes the
// workers of all connections fight for the same cores (measured: a 1/16 range took 2x as long with 2 workers).
const SERIAL = 'SET max_parallel_workers_per_gather = 0';

const S = VERIFY_SCHEMA;

/**
 * The functions. Identifiers come only from the allow-list table (writable by its owner and the master user), and
 * are quoted with %I; values are bound with USING. A range is [lo, hi] on the key, NULL meaning unbounded.
 */
const FUNCTIONS = `
CREATE OR REPLACE FUNCTION ${S}.target(p_table text) RETURNS ${S}.verified_tables
  LANGUAGE plpgsql STABLE ${PINNED}
AS $fn$
DECLARE t ${S}.verified_tables;
BEGIN
  SELECT * INTO t FROM ${S}.verified_tables WHERE name = p_table;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not configured for verification (the bootstrap installs the configured tables)', p_table
      USING ERRCODE = '42501';
  END IF;
  RETURN t;
END $fn$;

CREATE OR REPLACE FUNCTION ${S}.settled_filter(t ${S}.verified_tables, p_lo bigint, p_hi bigint) RETURNS text
  LANGUAGE sql IMMUTABLE ${PINNED}
AS $fn$
  SELECT concat_ws(' AND ', 'true',
    CASE WHEN t.time_column IS NOT NULL THEN format('%I <= $1', t.time_column) END,
    CASE WHEN p_lo IS NOT NULL THEN format('%I >= $2', t.key_column) END,
    CASE WHEN p_hi IS NOT NULL THEN format('%I <= $3', t.key_column) END)
$fn$;

-- time_column is returned so the caller can check that its configuration is the one installed here.
CREATE OR REPLACE FUNCTION ${S}.table_counts(p_table text, p_cutoff timestamptz, p_with_newest boolean)
  RETURNS TABLE (present boolean, time_column text, total bigint, settled bigint, newest text)
  LANGUAGE plpgsql STABLE ${PINNED}
AS $fn$
DECLARE t ${S}.verified_tables := ${S}.target(p_table);
BEGIN
  IF to_regclass(format('%I.%I', t.schema_name, t.table_name)) IS NULL THEN
    RETURN QUERY SELECT false, t.time_column, NULL::bigint, NULL::bigint, NULL::text;
  ELSIF t.time_column IS NULL THEN
    RETURN QUERY EXECUTE format('SELECT true, NULL::text, count(*), NULL::bigint, NULL::text FROM %I.%I',
      t.schema_name, t.table_name);
  ELSE
    RETURN QUERY EXECUTE format(
      'SELECT true, %4$L::text, count(*), count(*) FILTER (WHERE %1$I <= $1), '
        || CASE WHEN p_with_newest THEN 'to_char(max(%1$I)::timestamptz, ''YYYY-MM-DD"T"HH24:MI:SS.US"Z"'')' ELSE 'NULL::text' END
        || ' FROM %2$I.%3$I', t.time_column, t.schema_name, t.table_name, t.time_column)
      USING p_cutoff;
  END IF;
END $fn$;

CREATE OR REPLACE FUNCTION ${S}.key_bounds(p_table text, p_cutoff timestamptz, p_lo bigint, p_hi bigint)
  RETURNS TABLE (lo bigint, hi bigint)
  LANGUAGE plpgsql STABLE ${PINNED}
AS $fn$
DECLARE t ${S}.verified_tables := ${S}.target(p_table);
BEGIN
  RETURN QUERY EXECUTE format('SELECT min(%1$I)::bigint, max(%1$I)::bigint FROM %2$I.%3$I WHERE ',
      t.key_column, t.schema_name, t.table_name) || ${S}.settled_filter(t, p_lo, p_hi)
    USING p_cutoff, p_lo, p_hi;
END $fn$;

-- Sum of 64-bit row hashes: order-independent, exact (numeric, no wrap-around), and duplicates do not cancel.
CREATE OR REPLACE FUNCTION ${S}.range_digest(p_table text, p_cutoff timestamptz, p_lo bigint, p_hi bigint)
  RETURNS TABLE (row_count bigint, digest numeric)
  LANGUAGE plpgsql STABLE ${PINNED}
  ${SERIAL}
AS $fn$
DECLARE t ${S}.verified_tables := ${S}.target(p_table);
BEGIN
  RETURN QUERY EXECUTE format('SELECT count(*), coalesce(sum(%s), 0) FROM %I.%I AS authdb_verify_row WHERE ',
      ${S}.row_hash(t), t.schema_name, t.table_name) || ${S}.settled_filter(t, p_lo, p_hi)
    USING p_cutoff, p_lo, p_hi;
END $fn$;

-- Per-row hashes of a small range, to name the keys that differ; never the values themselves.
CREATE OR REPLACE FUNCTION ${S}.row_digests(p_table text, p_cutoff timestamptz, p_lo bigint, p_hi bigint, p_limit integer)
  RETURNS TABLE (key bigint, digest bigint)
  LANGUAGE plpgsql STABLE ${PINNED}
AS $fn$
DECLARE t ${S}.verified_tables := ${S}.target(p_table);
BEGIN
  RETURN QUERY EXECUTE format('SELECT %1$I::bigint, %2$s FROM %3$I.%4$I AS authdb_verify_row WHERE ',
      t.key_column, ${S}.row_hash(t), t.schema_name, t.table_name)
    || ${S}.settled_filter(t, p_lo, p_hi) || format(' ORDER BY %I LIMIT %s', t.key_column, least(greatest(p_limit, 0), 100000))
    USING p_cutoff, p_lo, p_hi;
END $fn$;
`;

// The 64-bit hash of a row: the whole row, or a row of the configured columns in the configured order. Where every
// column's type has a hash function (as hash joins use), the row is hashed from its values (hash_record_extended,
// PostgreSQL 14+); otherwise (json, xml, geometric types...) from its text form, which costs about 1.5x as much.
// Both sides run the same server version, so the same row gives the same hash on each.
const ROW_HASH = `
CREATE OR REPLACE FUNCTION ${S}.hashable(p_type oid) RETURNS boolean
  LANGUAGE plpgsql STABLE ${PINNED}
AS $fn$
DECLARE ty record;
BEGIN
  LOOP
    SELECT typtype, typcategory, typelem, typbasetype INTO ty FROM pg_type WHERE oid = p_type;
    IF NOT FOUND THEN RETURN false; END IF;
    IF ty.typtype = 'd' THEN p_type := ty.typbasetype;             -- a domain hashes as its base type
    ELSIF ty.typtype = 'e' THEN RETURN true;                       -- enums: enum_ops
    ELSIF ty.typcategory = 'A' AND ty.typelem <> 0 THEN p_type := ty.typelem;  -- arrays: if their elements are
    ELSIF ty.typtype <> 'b' THEN RETURN false;                     -- composites, ranges: text form, to be safe
    ELSE
      -- A default hash operator class with an extended (seeded 64-bit) hash function, for the type or one it is
      -- binary-coercible to (varchar -> text), as the type cache looks it up.
      RETURN EXISTS (
        SELECT 1 FROM pg_opclass c
          JOIN pg_am m ON m.oid = c.opcmethod AND m.amname = 'hash'
          JOIN pg_amproc p ON p.amprocfamily = c.opcfamily AND p.amprocnum = 2
                          AND p.amproclefttype = c.opcintype AND p.amprocrighttype = c.opcintype
         WHERE c.opcdefault
           AND (c.opcintype = p_type
                OR EXISTS (SELECT 1 FROM pg_cast WHERE castsource = p_type AND casttarget = c.opcintype
                                                   AND castmethod = 'b')));
    END IF;
  END LOOP;
END $fn$;

CREATE OR REPLACE FUNCTION ${S}.row_hash(t ${S}.verified_tables) RETURNS text
  LANGUAGE plpgsql STABLE ${PINNED}
AS $fn$
DECLARE
  row_value text := CASE WHEN t.digest_columns IS NULL THEN 'authdb_verify_row'
    ELSE 'ROW(' || (SELECT string_agg(format('authdb_verify_row.%I', c), ', ' ORDER BY i)
                      FROM unnest(t.digest_columns) WITH ORDINALITY AS u(c, i)) || ')' END;
  by_value boolean;
BEGIN
  SELECT coalesce(bool_and(${S}.hashable(a.atttypid)), false) INTO by_value
    FROM pg_attribute a
   WHERE a.attrelid = to_regclass(format('%I.%I', t.schema_name, t.table_name))
     AND a.attnum > 0 AND NOT a.attisdropped
     AND (t.digest_columns IS NULL OR a.attname = ANY (t.digest_columns));
  RETURN CASE WHEN by_value THEN format('hash_record_extended(%s, 0)', row_value)
              ELSE format('hashtextextended(%s::text, 0)', row_value) END;
END $fn$;
`;

const FUNCTION_SIGNATURES = [
  'target(text)',
  `settled_filter(${S}.verified_tables, bigint, bigint)`,
  'hashable(oid)',
  `row_hash(${S}.verified_tables)`,
  'table_counts(text, timestamptz, boolean)',
  'key_bounds(text, timestamptz, bigint, bigint)',
  'range_digest(text, timestamptz, bigint, bigint)',
  'row_digests(text, timestamptz, bigint, bigint, integer)',
];
/** What the verifier may call; the helpers stay private to the owner. */
const VERIFIER_FUNCTIONS = FUNCTION_SIGNATURES.slice(4);

/**
 * Creates or converges the schema, its owner, the allow-list of tables and the functions, and lets `verifier`
 * execute the public functions and nothing else in the schema. Runs as the master user (RDS: rds_superuser with
 * CREATEROLE), in one transaction, idempotently.
 */
export async function installVerificationFunctions(
  client: pg.Client,
  opts: { verifierRole: string; tables: VerifiedTableDefinition[] },
): Promise<void> {
  const verifier = quoteName(opts.verifierRole, 'role name');
  const rows = definitionRows(opts.tables);
  const owner = quoteName(VERIFY_OWNER, 'role name');
  await client.query('BEGIN');
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [VERIFY_OWNER]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE ROLE ${owner} NOLOGIN INHERIT`);
    }
    // The master user must be a member to create objects owned by it (PostgreSQL 15; RDS's master is no superuser).
    await client.query(`GRANT ${owner} TO CURRENT_USER`);
    await client.query(`GRANT pg_read_all_data TO ${owner}`);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${S} AUTHORIZATION ${owner}`);
    await client.query(`REVOKE ALL ON SCHEMA ${S} FROM PUBLIC`);
    await client.query(`SET LOCAL ROLE ${owner}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${S}.verified_tables (
         name text PRIMARY KEY, schema_name text NOT NULL, table_name text NOT NULL, key_column text NOT NULL,
         time_column text, digest_columns text[])`,
    );
    await client.query(`DELETE FROM ${S}.verified_tables`);
    await client.query(
      `INSERT INTO ${S}.verified_tables SELECT * FROM json_populate_recordset(NULL::${S}.verified_tables, $1)`,
      [JSON.stringify(rows)],
    );
    await client.query(FUNCTIONS + ROW_HASH);
    // Replaced by row_hash (text form only); dropped so a database bootstrapped before converges.
    await client.query(`DROP FUNCTION IF EXISTS ${S}.row_expression(${S}.verified_tables)`);
    // Functions are executable by PUBLIC by default: only the verifier may call these.
    for (const signature of FUNCTION_SIGNATURES) {
      await client.query(`REVOKE ALL ON FUNCTION ${S}.${signature} FROM PUBLIC`);
    }
    await client.query('RESET ROLE');
    await client.query(`GRANT USAGE ON SCHEMA ${S} TO ${verifier}`);
    for (const signature of VERIFIER_FUNCTIONS) {
      await client.query(`GRANT EXECUTE ON FUNCTION ${S}.${signature} TO ${verifier}`);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Names the table and side in an error; points at the bootstrap when the functions are missing. */
export function withTable<T>(side: string, table: string, promise: Promise<T>, what = 'Counting'): Promise<T> {
  return promise.catch((error: unknown) => {
    const message = (error as Error).message;
    // A database restored from before the bootstrap installed the functions, or never bootstrapped.
    const hint = /authdb_verify\.\S+ does not exist|schema "authdb_verify" does not exist/.test(message)
      ? ' (the verification functions are missing: run the verifier role bootstrap on this database)'
      : '';
    throw new Error(`${what} ${table} in the ${side} failed: ${message}${hint}`, { cause: error });
  });
}
