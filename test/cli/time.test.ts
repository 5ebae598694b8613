import { describe, expect, it } from 'vitest';
import { failureKind } from '../../cli/aws-errors.js';
import { bothZones, normalizeTime, seoulTime } from '../../cli/time.js';

describe('operator times', () => {
  it.each([
    ['2026-11-26T02:55:00+09:00', '2026-11-26T02:55:00+09:00'],
    ['2026-11-25T17:55:00Z', '2026-11-25T17:55:00Z'],
    ['2026-11-26 02:55:00+09', '2026-11-26T02:55:00+09:00'],
    ['2026-11-26 02:55:00+0900', '2026-11-26T02:55:00+09:00'],
    ['2026-11-26 02:55+09', '2026-11-26T02:55:00+09:00'],
    ['2026-11-26 02:55:00.250+09', '2026-11-26T02:55:00.250+09:00'],
    ['2026-11-25 17:55:00 UTC', '2026-11-25T17:55:00Z'],
    ['2026-11-25 12:25:00-05:30', '2026-11-25T12:25:00-05:30'],
  ])('%s -> %s', (text, iso) => {
    expect(normalizeTime(text)).toBe(iso);
    expect(new Date(normalizeTime(text)!).getTime()).toBe(new Date(iso).getTime());
  });

  it.each([
    ['no zone', '2026-11-26 02:55:00'],
    ['no zone, ISO', '2026-11-26T02:55'],
    ['date only', '2026-11-26'],
    ['day 30 of February', '2026-02-30 02:55+09'],
    ['hour 24', '2026-11-26 24:00+09'],
    ['minute 60', '2026-11-26 02:60+09'],
    ['words', 'yesterday'],
  ])('rejects %s (%s)', (_label, text) => {
    expect(normalizeTime(text)).toBeUndefined();
  });

  it('prints instants in UTC and in Asia/Seoul, psql style', () => {
    expect(seoulTime(new Date('2026-11-25T17:55:00Z'))).toBe('2026-11-26 02:55:00+09');
    expect(bothZones('2026-11-25T17:55:00.000Z')).toBe('2026-11-25T17:55:00Z (Asia/Seoul 2026-11-26 02:55:00+09)');
    expect(bothZones(undefined)).toBe('-');
  });
});

describe('why an AWS call failed', () => {
  const error = (name: string, extra: Record<string, unknown> = {}) =>
    Object.assign(new Error('x'), { name, ...extra });
  it.each([
    [error('ExpiredTokenException'), 'credentials'],
    [error('CredentialsProviderError'), 'credentials'],
    [error('UnrecognizedClientException'), 'credentials'],
    [error('AccessDeniedException'), 'credentials'],
    [error('ThrottlingException'), 'throttling'],
    [error('Error', { code: 'ECONNREFUSED' }), 'network'],
    [error('TimeoutError'), 'network'],
    [error('InternalFailure', { $metadata: { httpStatusCode: 503 } }), 'network'],
    [error('ExecutionDoesNotExist', { $metadata: { httpStatusCode: 400 } }), 'request'],
    [error('DBSnapshotNotFoundFault'), 'request'],
  ])('%s -> %s', (e, kind) => {
    expect(failureKind(e)).toBe(kind);
  });
});
