import type pg from 'pg';

/**
 * What a restore must carry over besides rows: per configured table its columns (type, nullability, default),
 * indexes and constraints by name and definition; the extensions; the roles the application needs (owners of and
 * grantees on the configured tables). Read from the catalogs, which any role may read: no table privilege needed.
 */
export interface TableSchema {
  /** name -> `type [NOT NULL] [DEFAULT expr]` */
  columns: Record<string, string>;
  /** name -> pg_get_indexdef */
  indexes: Record<string, string>;
  /** name -> pg_get_constraintdef */
  constraints: Record<string, string>;
}

export interface SchemaFacts {
  /** `null`: the table does not exist. */
  tables: Record<string, TableSchema | null>;
  /** name -> version */
  extensions: Record<string, string>;
  roles: string[];
}

export interface SchemaDifference {
  kind: 'table' | 'column' | 'index' | 'constraint' | 'extension' | 'role';
  /** `table`, `table.column`, `table.index`, extension or role name. */
  name: string;
  /** The definition in the source; absent when the source lacks it. */
  source?: string;
  /** The definition in the restore; absent when the restore lacks it. */
  restored?: string;
}

function split(name: string): [string, string] {
  const [schema, table] = name.includes('.') ? name.split('.') : ['public', name];
  return [schema, table];
}

export async function readSchema(client: pg.Client, tables: string[]): Promise<SchemaFacts> {
  const schemas = tables.map((t) => split(t)[0]);
  const names = tables.map((t) => split(t)[1]);
  const located = `WITH wanted AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS w(name, nsp, rel)),
    rels AS (SELECT w.name, c.oid, c.relowner, c.relacl FROM wanted w
               JOIN pg_namespace n ON n.nspname = w.nsp JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.rel)`;
  const params = [tables, schemas, names];
  // One after another: a pg client runs one query at a time.
  const queries = [
    () => client.query(`${located} SELECT name FROM rels`, params),
    () =>
      client.query(
        `${located} SELECT r.name, a.attname AS item,
              format_type(a.atttypid, a.atttypmod)
                || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
                || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '') AS def
         FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_attrdef d ON d.adrelid = r.oid AND d.adnum = a.attnum`,
        params,
      ),
    () =>
      client.query(
        `${located} SELECT r.name, c.relname AS item, pg_get_indexdef(i.indexrelid) AS def
         FROM rels r JOIN pg_index i ON i.indrelid = r.oid JOIN pg_class c ON c.oid = i.indexrelid`,
        params,
      ),
    () =>
      client.query(
        `${located} SELECT r.name, k.conname AS item, pg_get_constraintdef(k.oid) AS def
         FROM rels r JOIN pg_constraint k ON k.conrelid = r.oid`,
        params,
      ),
    () => client.query(`SELECT extname, extversion FROM pg_extension`),
    () =>
      client.query(
        `${located} SELECT DISTINCT pg_get_userbyid(role) AS role FROM (
         SELECT relowner AS role FROM rels
         UNION SELECT (aclexplode(relacl)).grantee FROM rels WHERE relacl IS NOT NULL) AS x
        WHERE role <> 0 ORDER BY 1`,
        params,
      ),
  ];
  const results: pg.QueryResult[] = [];
  for (const query of queries) results.push(await query());
  const [rels, columns, indexes, constraints, extensions, roles] = results;
  const present = new Set(rels.rows.map((row) => row.name as string));
  const facts: SchemaFacts = { tables: {}, extensions: {}, roles: roles.rows.map((row) => row.role) };
  for (const table of tables) {
    facts.tables[table] = present.has(table) ? { columns: {}, indexes: {}, constraints: {} } : null;
  }
  const fill = (rows: Array<{ name: string; item: string; def: string }>, key: keyof TableSchema) => {
    for (const row of rows) {
      const table = facts.tables[row.name];
      if (table) table[key][row.item] = row.def;
    }
  };
  fill(columns.rows, 'columns');
  fill(indexes.rows, 'indexes');
  fill(constraints.rows, 'constraints');
  for (const row of extensions.rows) facts.extensions[row.extname] = row.extversion;
  return facts;
}

function diffMaps(
  kind: SchemaDifference['kind'],
  prefix: string,
  source: Record<string, string>,
  restored: Record<string, string>,
): SchemaDifference[] {
  const names = [...new Set([...Object.keys(source), ...Object.keys(restored)])].sort();
  return names.flatMap((name): SchemaDifference[] => {
    if (source[name] === restored[name]) return [];
    const difference: SchemaDifference = { kind, name: `${prefix}${name}` };
    if (source[name] !== undefined) difference.source = source[name];
    if (restored[name] !== undefined) difference.restored = restored[name];
    return [difference];
  });
}

/** Every difference between the source's schema and the restore's. */
export function compareSchemas(source: SchemaFacts, restored: SchemaFacts): SchemaDifference[] {
  const differences: SchemaDifference[] = [];
  for (const [name, table] of Object.entries(source.tables)) {
    const other = restored.tables[name];
    if (table === null) continue; // the source lacks it: the counts report that, as a configuration error
    if (other === null || other === undefined) {
      differences.push({ kind: 'table', name, source: 'present' });
      continue;
    }
    differences.push(
      ...diffMaps('column', `${name}.`, table.columns, other.columns),
      ...diffMaps('index', `${name}.`, table.indexes, other.indexes),
      ...diffMaps('constraint', `${name}.`, table.constraints, other.constraints),
    );
  }
  differences.push(...diffMaps('extension', '', source.extensions, restored.extensions));
  const restoredRoles = new Set(restored.roles);
  for (const role of source.roles) {
    if (!restoredRoles.has(role)) differences.push({ kind: 'role', name: role, source: 'present' });
  }
  return differences;
}

export function describeSchemaDifference(d: SchemaDifference): string {
  if (d.restored === undefined) return `${d.kind} ${d.name} missing in the restore`;
  if (d.source === undefined) return `${d.kind} ${d.name} only in the restore`;
  return `${d.kind} ${d.name} differs: ${d.source} in the source, ${d.restored} restored`;
}
