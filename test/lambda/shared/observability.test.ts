import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, executionNameOf, lambdaHandler } from '../../../lambda/shared/observability.js';

function logLines(run: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return run()
    .finally(() => write.mockRestore())
    .then(() =>
      lines
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

const context = {
  functionName: 'authdb-dr-dev-drill-report',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:111111111111:function:authdb-dr-dev-drill-report',
  memoryLimitInMB: '256',
  functionVersion: '$LATEST',
} as Context;

describe('lambdaHandler', () => {
  it('puts the invocation and the execution name (correlation id) on every log line, and forgets them after', async () => {
    const logger = createLogger('drill-report');
    const handler = lambdaHandler(logger, async () => logger.info('reported'));
    const first = await logLines(() => handler({ plan: { executionName: 'weekly-2026-11-25' } }, context));
    expect(first[0]).toMatchObject({
      message: 'reported',
      correlation_id: 'weekly-2026-11-25',
      function_request_id: 'req-1',
      function_name: 'authdb-dr-dev-drill-report',
      project: 'authdb-dr',
    });
    const next = await logLines(() => handler({}, { ...context, awsRequestId: 'req-2' }));
    expect(next[0]).toMatchObject({ function_request_id: 'req-2', project: 'authdb-dr' });
    expect(next[0]).not.toHaveProperty('correlation_id');
  });

  it('finds the execution in a plan or in $$.Execution, and nowhere else', () => {
    expect(executionNameOf({ plan: { executionName: 'a' } })).toBe('a');
    expect(executionNameOf({ execution: { Name: 'b', Id: 'x' } })).toBe('b');
    expect(executionNameOf({ plan: {} })).toBeUndefined();
    expect(executionNameOf(undefined)).toBeUndefined();
  });
});

describe('every Lambda handler', () => {
  const lambdaDir = resolve(__dirname, '../../../lambda');
  const handlers = readdirSync(lambdaDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'shared')
    .map((d) => join(lambdaDir, d.name, 'handler.ts'));

  // A handler that skips the wrapper logs without request id or execution name: its lines cannot be followed.
  it.each(handlers.map((h) => [h.slice(lambdaDir.length + 1), h]))(
    '%s adds the Lambda context to every log line',
    (_name, file) => {
      const source = readFileSync(file, 'utf8');
      expect(/export const handler = lambdaHandler\(logger,|logger\.addContext\(context\)/.test(source)).toBe(true);
    },
  );

  it('are all found', () => {
    expect(handlers.length).toBeGreaterThan(20);
  });
});
