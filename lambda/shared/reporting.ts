import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { VerifyResult } from './drill.js';
import { tableFailed } from './row-counts.js';
import { describeSchemaDifference } from './schema-check.js';

/** The part of Powertools' Metrics the reports use (so tests can record what is published). */
export interface MetricsPort {
  addMetric(name: string, unit: 'Seconds' | 'Count', value: number): void;
  publishStoredMetrics(): void;
}

export interface ReportSink {
  s3: S3Client;
  sns: SNSClient;
}

/** What a report function writes to and records with. */
export interface ReportDeps extends ReportSink {
  metrics: MetricsPort;
  now: () => Date;
}

/** `<kind>/<env>/<yyyy>/<mm>/<execution name>.json`, from the execution's start. */
export function reportKey(
  kind: 'drills' | 'restores' | 'rewinds',
  environment: string,
  startedAt: string,
  executionName: string,
) {
  return `${kind}/${environment}/${startedAt.slice(0, 7).replace('-', '/')}/${executionName}.json`;
}

/** Writes a JSON report to S3 and sends its summary to the alert topic. */
export async function publishReport(
  sink: ReportSink,
  where: { bucket: string; key: string; topicArn: string },
  report: unknown,
  summary: { subject: string; message: string },
): Promise<void> {
  await sink.s3.send(
    new PutObjectCommand({
      Bucket: where.bucket,
      Key: where.key,
      Body: JSON.stringify(report, null, 2),
      ContentType: 'application/json',
    }),
  );
  await sink.sns.send(
    new PublishCommand({ TopicArn: where.topicArn, Subject: summary.subject.slice(0, 99), Message: summary.message }),
  );
}

export function seconds(from?: string, to?: string): number | undefined {
  return from && to ? Math.round((Date.parse(to) - Date.parse(from)) / 1000) : undefined;
}

export function minutes(s: number | undefined): string {
  if (s === undefined) return 'n/a';
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

/** One table in a drill, restore or restore-test report. Counts and keys only: never a column value. */
export interface TableReport {
  table: string;
  /** Which count is compared: the settled rows (tables with a time column) or all rows. */
  compared?: 'settled' | 'total';
  sourceCount?: number;
  restoredCount?: number;
  sourceTotal?: number;
  restoredTotal?: number;
  /** Content digest of the settled rows equal on both sides; absent when not compared. */
  digestMatch?: boolean;
  /** Keys whose rows differ (sampled), when the digest differs. */
  differingKeys?: string[];
  /** Columns, indexes and constraints of this table that differ, or the table missing. */
  schemaDifferences: string[];
  /** Newest time-column value restored, ISO-8601. */
  newestRow?: string;
  /** Recovery point minus the newest restored row: how far behind the recovery point the data ends. */
  newestBeforeRecoveryPointSeconds?: number;
  /** Restore only: rows the source holds stamped after the recovery point (`unknown` without a time column). */
  rowsAfterRecoveryPoint?: number | 'unknown';
  ok: boolean;
}

/** The per-table facts of a verification, against the recovery point (restore time or snapshot creation). */
export function tableReports(verification: VerifyResult | undefined, recoveryPoint?: string): TableReport[] {
  if (verification === undefined) return [];
  const differences = verification.compared
    ? (verification.verification.schemaDifferences ?? [])
    : (verification.report.schemaDifferences ?? []);
  const schemaOf = (table: string) =>
    differences
      .filter((d) => d.name === table || d.name.startsWith(`${table}.`))
      .map((d) => describeSchemaDifference(d));
  const behind = (newest?: string) =>
    newest !== undefined && recoveryPoint !== undefined ? seconds(newest, recoveryPoint) : undefined;
  if (verification.compared) {
    return verification.verification.tables.map((t) => {
      const schema = schemaOf(t.table);
      const report: TableReport = {
        table: t.table,
        compared: t.compared,
        sourceCount: t.compared === 'settled' ? t.source?.settled : t.source?.total,
        restoredCount: t.compared === 'settled' ? t.restored?.settled : t.restored?.total,
        sourceTotal: t.source?.total,
        restoredTotal: t.restored?.total,
        digestMatch: t.digest?.match,
        differingKeys: t.digest?.sampleIds,
        schemaDifferences: schema,
        newestRow: t.restored?.newest,
        newestBeforeRecoveryPointSeconds: behind(t.restored?.newest),
        ok: !tableFailed(t) && schema.length === 0,
      };
      return JSON.parse(JSON.stringify(report)) as TableReport;
    });
  }
  const { report } = verification;
  const names = [...Object.keys(report.tables), ...report.missingTables];
  return names.map((table) => {
    const counts = report.tables[table];
    const schema = schemaOf(table);
    const facts: TableReport = {
      table,
      restoredTotal: counts?.total,
      schemaDifferences: counts === undefined ? ['table missing in the restore', ...schema] : schema,
      newestRow: counts?.newest,
      newestBeforeRecoveryPointSeconds: behind(counts?.newest),
      ok: counts !== undefined && schema.length === 0,
    };
    return JSON.parse(JSON.stringify(facts)) as TableReport;
  });
}

/** Differences that belong to no table: extensions and roles. */
export function databaseSchemaDifferences(verification: VerifyResult | undefined): string[] {
  if (verification === undefined) return [];
  const differences = verification.compared
    ? (verification.verification.schemaDifferences ?? [])
    : (verification.report.schemaDifferences ?? []);
  return differences.filter((d) => d.kind === 'extension' || d.kind === 'role').map((d) => describeSchemaDifference(d));
}

/** One line a table for the e-mail summary. */
export function tableLines(tables: TableReport[], databaseDifferences: string[] = []): string[] {
  const lines = tables.map((t) => {
    const counts =
      t.sourceCount !== undefined
        ? `${t.sourceCount} ${t.compared === 'settled' ? 'settled ' : ''}rows in the source, ${t.restoredCount ?? 0} restored`
        : `${t.restoredTotal ?? 0} rows restored`;
    const digest =
      t.digestMatch === undefined
        ? ''
        : t.digestMatch
          ? ', content digest matches'
          : `, content digest DIFFERS${t.differingKeys?.length ? ` (keys ${t.differingKeys.join(', ')})` : ''}`;
    const schema = t.schemaDifferences.length ? `, schema: ${t.schemaDifferences.join('; ')}` : '';
    const newest =
      t.newestBeforeRecoveryPointSeconds !== undefined
        ? `, newest row ${minutes(t.newestBeforeRecoveryPointSeconds)} before the recovery point`
        : '';
    return `  ${t.ok ? 'ok  ' : 'FAIL'} ${t.table}: ${counts}${digest}${schema}${newest}`;
  });
  return databaseDifferences.length ? [...lines, `  FAIL database schema: ${databaseDifferences.join('; ')}`] : lines;
}
