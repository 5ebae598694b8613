/**
 * Times as operators copy them: ISO 8601 (`2026-11-25T17:55:00Z`, `2026-11-26T02:55:00+09:00`) and the psql /
 * pgBackRest forms (`2026-11-26 02:55:00+09`, `2026-11-26 02:55:00+0900`, seconds optional). A zone is always
 * required: a guessed zone is up to nine hours of lost or extra data.
 */
const OPERATOR_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?\s?(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)$/;

/** Seoul has had no daylight saving since 1988: a fixed offset, still formatted through Intl to stay honest. */
export const SEOUL = 'Asia/Seoul';

/**
 * The ISO-8601 form (`2026-11-26T02:55:00+09:00`, `…Z`) of an operator's time, or undefined when the text is not
 * one of the accepted forms (the input schema then names it and what is allowed). The calendar date is checked.
 */
export function normalizeTime(text: string): string | undefined {
  const m = OPERATOR_TIME.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  let offset = 'Z';
  if (!/^(z|utc)$/i.test(zone)) {
    const digits = zone.slice(1).replace(':', '');
    offset = `${zone[0]}${digits.slice(0, 2)}:${digits.slice(2, 4) || '00'}`;
  }
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac}${offset}`;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return undefined;
  // Date rolls 2026-02-30 over to March: compare the fields back against the input's own offset.
  const shifted = new Date(date.getTime() + offsetMinutes(offset) * 60_000);
  if (shifted.getUTCDate() !== Number(d) || shifted.getUTCMonth() + 1 !== Number(mo) || Number(h) > 23) {
    return undefined;
  }
  return iso;
}

function offsetMinutes(offset: string): number {
  if (offset === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

const seoulParts = new Intl.DateTimeFormat('en-CA', {
  timeZone: SEOUL,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset',
});

/** `2026-11-26 02:55:00+09` (psql's form) of an instant, in Asia/Seoul. */
export function seoulTime(date: Date): string {
  const parts = Object.fromEntries(seoulParts.formatToParts(date).map((p) => [p.type, p.value]));
  const zone = /GMT([+-]\d{2}):?(\d{2})?/.exec(parts.timeZoneName ?? '');
  const offset = zone ? `${zone[1]}${zone[2] && zone[2] !== '00' ? `:${zone[2]}` : ''}` : '+00';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** `2026-11-25T17:55:00Z (Asia/Seoul 2026-11-26 02:55:00+09)`; `-` when absent or unparsable. */
export function bothZones(value: Date | string | undefined): string {
  if (value === undefined) return '-';
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().replace(/\.\d{3}Z$/, 'Z')} (${SEOUL} ${seoulTime(date)})`;
}
