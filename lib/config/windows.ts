/**
 * RDS time windows (UTC): the daily backup window `hh24:mi-hh24:mi` and the weekly maintenance window
 * `ddd:hh24:mi-ddd:hh24:mi`, as minutes of the week so that overlaps across midnight and Sunday are exact.
 */
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const MINUTES_PER_DAY = 24 * 60;
export const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** A half-open interval [start, end) in minutes; end may exceed the period when the window wraps. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

function clockMinutes(text: string): number | undefined {
  const m = CLOCK.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Parses `hh24:mi-hh24:mi` into minutes of the day, or undefined when malformed. */
export function parseDailyWindow(text: string): Interval | undefined {
  const parts = text.split('-');
  if (parts.length !== 2) return undefined;
  const start = clockMinutes(parts[0]!);
  const end = clockMinutes(parts[1]!);
  if (start === undefined || end === undefined) return undefined;
  return { start, end: end > start ? end : end + MINUTES_PER_DAY };
}

/** Parses `ddd:hh24:mi-ddd:hh24:mi` into minutes of the week, or undefined when malformed. */
export function parseWeeklyWindow(text: string): Interval | undefined {
  const parts = text.toLowerCase().split('-');
  if (parts.length !== 2) return undefined;
  const at = (s: string): number | undefined => {
    const day = DAYS.indexOf(s.slice(0, 3) as (typeof DAYS)[number]);
    const clock = s[3] === ':' ? clockMinutes(s.slice(4)) : undefined;
    return day < 0 || clock === undefined ? undefined : day * MINUTES_PER_DAY + clock;
  };
  const start = at(parts[0]!);
  const end = at(parts[1]!);
  if (start === undefined || end === undefined) return undefined;
  return { start, end: end > start ? end : end + MINUTES_PER_WEEK };
}

export function durationMinutes(w: Interval): number {
  return w.end - w.start;
}

function intersects(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Whether a weekly window meets the daily window stretched by `afterMinutes` on any day of the week
 * (AWS Backup starts no database backup from one hour before a maintenance window until it ends).
 */
export function weeklyMeetsDaily(weekly: Interval, daily: Interval, afterMinutes: number): boolean {
  for (let day = -1; day <= 7; day++) {
    const shifted = {
      start: daily.start + day * MINUTES_PER_DAY,
      end: daily.end + afterMinutes + day * MINUTES_PER_DAY,
    };
    // Compare against the weekly window and its copy one week later, so wrap-around is covered.
    for (const offset of [-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK]) {
      if (intersects({ start: weekly.start + offset, end: weekly.end + offset }, shifted)) return true;
    }
  }
  return false;
}
