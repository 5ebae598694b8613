import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

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
