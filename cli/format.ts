import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** `45s`, `7m12s`, `1h03m05s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h${pad(m)}m${pad(s)}s`;
  if (m > 0) return `${m}m${pad(s)}s`;
  return `${s}s`;
}

/** `15m`, `2h`, `1h30m`. */
export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m}m`;
  return m === 0 ? `${h}h` : `${h}h${String(m).padStart(2, '0')}m`;
}

/** `elapsed 7m12s of RTO target 15m`, with `(OVER by 2m05s)` past the target. */
export function elapsedLine(elapsedMs: number, rtoMinutes: number): string {
  const over = elapsedMs - rtoMinutes * 60_000;
  const line = `elapsed ${formatDuration(elapsedMs)} of RTO target ${formatMinutes(rtoMinutes)}`;
  return over > 0 ? `${line} (OVER by ${formatDuration(over)})` : line;
}

export function isoSeconds(date: Date | undefined): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** The part of an event's details worth showing: the state's name and an error name, never input/output/cause. */
export function eventDetails(event: HistoryEvent): { name?: string; error?: string } {
  const found: { name?: string; error?: string } = {};
  for (const [key, value] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || value === null || typeof value !== 'object') continue;
    const details = value as Record<string, unknown>;
    if (typeof details.name === 'string') found.name = details.name;
    if (typeof details.error === 'string') found.error = details.error;
  }
  return found;
}

/** The newest `*StateEntered` event's state name (events in any order). */
export function currentState(events: readonly HistoryEvent[]): string | undefined {
  let newest: HistoryEvent | undefined;
  for (const event of events) {
    if (event.type?.endsWith('StateEntered') && (newest === undefined || (event.id ?? 0) > (newest.id ?? 0))) {
      newest = event;
    }
  }
  return newest?.stateEnteredEventDetails?.name;
}

/** Shortens a long text (an error cause) to one line of at most `max` characters. */
export function clip(text: string, max = 500): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
