import { afterEach, describe, expect, it, vi } from 'vitest';
import { LOGICAL_DUMP_METRICS } from '../../contract/logical-dump.js';
import { main, reportOutcome } from '../../jobs/logical-dump/main.js';
import { createMetrics } from '../../lambda/shared/observability.js';

function captureStdout(): string[] {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
  }
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => lines.push(args.join(' ')));
  vi.spyOn(console, 'info').mockImplementation((...args: unknown[]) => lines.push(args.join(' ')));
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('the dump task entry point', () => {
  it('emits, as EMF, the metrics the freshness and failure alarms read', () => {
    const lines = captureStdout();
    reportOutcome(createMetrics('logical-dump', 'prod'), undefined, 12);
    const emf = lines
      .map((l) => l.trim())
      .filter((l) => l.startsWith('{') && l.includes('_aws'))
      .map((l) => JSON.parse(l));
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      [LOGICAL_DUMP_METRICS.verified]: 0,
      [LOGICAL_DUMP_METRICS.failed]: 1,
      Environment: 'prod',
    });
    expect(emf[0]._aws.CloudWatchMetrics[0].Namespace).toBe('AuthDbDr');
  });

  it('refuses bad settings before touching AWS, naming the variables', async () => {
    const lines = captureStdout();
    const code = await main({ AUTHDB_ENVIRONMENT: 'prod', DUMP_KMS_KEY_ARN: 'not-an-arn' });
    expect(code).toBe(2);
    const text = lines.join('\n');
    expect(text).toContain('DUMP_KMS_KEY_ARN: a KMS key ARN');
    expect(text).toContain('DUMP_BUCKET');
  });
});
