import { describe, expect, it } from 'vitest';
import { parseDailyWindow, parseWeeklyWindow, weeklyMeetsDaily } from '../../lib/config/windows.js';

describe('RDS windows', () => {
  it('parses daily windows into minutes, wrapping past midnight', () => {
    expect(parseDailyWindow('18:00-18:30')).toEqual({ start: 1080, end: 1110 });
    expect(parseDailyWindow('23:45-00:15')).toEqual({ start: 1425, end: 1455 });
    expect(parseDailyWindow('24:00-24:30')).toBeUndefined();
  });

  it('parses weekly windows into minutes of the week, wrapping past Saturday', () => {
    expect(parseWeeklyWindow('sun:20:00-sun:20:30')).toEqual({ start: 1200, end: 1230 });
    expect(parseWeeklyWindow('Mon:00:00-mon:01:00')).toEqual({ start: 1440, end: 1500 });
    expect(parseWeeklyWindow('sat:23:30-sun:00:30')).toEqual({ start: 10050, end: 10110 });
    expect(parseWeeklyWindow('sun20:00-sun:20:30')).toBeUndefined();
  });

  it('finds a maintenance window that meets the daily backup window stretched by a gap, on any day', () => {
    const backup = parseDailyWindow('18:00-18:30')!;
    const at = (w: string) => weeklyMeetsDaily(parseWeeklyWindow(w)!, backup, 60);
    expect(at('thu:18:29-thu:19:00')).toBe(true);
    expect(at('thu:19:29-thu:20:00')).toBe(true);
    expect(at('thu:19:30-thu:20:00')).toBe(false);
    expect(at('thu:17:30-thu:18:00')).toBe(false);
    expect(at('sat:23:00-sun:18:01')).toBe(true);
  });
});
