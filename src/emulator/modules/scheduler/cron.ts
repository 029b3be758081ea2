/**
 * Cloud Scheduler's schedule syntax: unix-cron (five fields: minute, hour, day of month,
 * month, day of week; `*`, lists, ranges, steps, month and weekday names, 7 = Sunday),
 * evaluated in a tz database time zone. Used to refuse what Google refuses ("Schedule or
 * time zone is invalid.") and to compute `scheduleTime`, the next run.
 */

/** One parsed schedule: the allowed values of each field, and whether the day fields were restricted. */
export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Day of month and day of week both restricted: a day matches if either does (vixie cron). */
  domRestricted: boolean;
  dowRestricted: boolean;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldRule {
  min: number;
  max: number;
  names?: string[];
  /** First value the names map to (months count from 1). */
  nameBase?: number;
}

const FIELDS: FieldRule[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
];

function value(text: string, rule: FieldRule): number | undefined {
  const lower = text.toLowerCase();
  const named = rule.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (rule.nameBase ?? 0);
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= rule.min && n <= rule.max ? n : undefined;
}

/** The values one field allows, or undefined when the field is not valid unix-cron. */
function parseField(text: string, rule: FieldRule): Set<number> | undefined {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) return undefined;
    let lo: number | undefined;
    let hi: number | undefined;
    if (m[1] === '*') {
      lo = rule.min;
      hi = rule.max;
    } else {
      const range = m[1].split('-');
      if (range.length > 2) return undefined;
      lo = value(range[0], rule);
      hi = range.length === 2 ? value(range[1], rule) : m[2] !== undefined ? rule.max : lo;
    }
    if (lo === undefined || hi === undefined || lo > hi) return undefined;
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parse a unix-cron schedule; undefined when Google would refuse it. */
export function parseCron(schedule: string): CronSchedule | undefined {
  const parts = schedule.trim().split(/\s+/);
  if (parts.length !== 5 || parts[0] === '') return undefined;
  const sets = parts.map((p, i) => parseField(p, FIELDS[i]));
  if (sets.some((s) => !s)) return undefined;
  const [minutes, hours, days, months, weekdays] = sets as Set<number>[];
  // 7 is Sunday too.
  if (weekdays.delete(7)) weekdays.add(0);
  return { minutes, hours, days, months, weekdays, domRestricted: parts[2] !== '*', dowRestricted: parts[4] !== '*' };
}

/** Whether `zone` is a tz database name this runtime knows (`UTC` and `Etc/UTC` included). */
export function isTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

interface Wall {
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock reading of `ms` in `zone`. */
function wallClock(ms: number, zone: string): Wall {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', month: 'numeric', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric' });
    formatters.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS.indexOf(String(parts.weekday).toLowerCase().slice(0, 3)),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

function dayMatches(c: CronSchedule, w: Wall): boolean {
  if (!c.months.has(w.month)) return false;
  const dom = c.days.has(w.day);
  const dow = c.weekdays.has(w.weekday);
  if (c.domRestricted && c.dowRestricted) return dom || dow;
  return dom && dow;
}

const MINUTE = 60_000;

/**
 * The first whole minute strictly after `afterMs` that the schedule matches in `zone`, or
 * undefined when none does within about five years (`0 0 30 2 *`). Skips whole days and
 * hours that cannot match, so it takes at most a few thousand steps.
 */
export function nextRun(c: CronSchedule, zone: string, afterMs: number): number | undefined {
  let t = Math.floor(afterMs / MINUTE) * MINUTE + MINUTE;
  const limit = afterMs + 5 * 366 * 24 * 60 * MINUTE;
  while (t <= limit) {
    const w = wallClock(t, zone);
    // To the next local midnight, less an hour: a day that loses an hour to daylight saving
    // time must not make the jump skip the first hour of the next one.
    if (!dayMatches(c, w)) t += Math.max(60 - w.minute, (23 - w.hour) * 60 - w.minute) * MINUTE;
    else if (!c.hours.has(w.hour)) t += (60 - w.minute) * MINUTE;
    else if (!c.minutes.has(w.minute)) t += MINUTE;
    else return t;
  }
  return undefined;
}
