// When a schedule fires. A schedule has slots: instants on its cadence (every N seconds from
// its first slot, or the times a cron expression names in a timezone). Slots are computed from
// earlier slots, never from when a process happened to look, so a schedule cannot drift.

import { CronExpressionParser } from 'cron-parser';
import { badInput } from '../errors.js';

export type Cadence = { kind: 'interval'; seconds: number } | { kind: 'cron'; expression: string; timezone: string };

export interface CadenceInput {
  intervalSeconds: number | null;
  cron: string | null;
  timezone: string | null;
}

const DEFAULT_TIMEZONE = 'UTC';

/** The cadence a request describes, or a 400 that says what is wrong with it. */
export function parseCadence(input: CadenceInput): Cadence {
  if (input.cron !== null) {
    if (input.intervalSeconds !== null) throw badInput('Give either interval_seconds or cron, not both.');
    const expression = input.cron.trim().replace(/\s+/g, ' ');
    const timezone = canonicalTimezone(input.timezone ?? DEFAULT_TIMEZONE);
    const fields = expression === '' ? 0 : expression.split(' ').length;
    if (fields !== 5 && fields !== 6) {
      throw badInput(`cron must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); got ${fields}.`);
    }
    try {
      CronExpressionParser.parse(expression, { tz: timezone });
    } catch (error) {
      throw badInput(`Invalid cron expression '${input.cron}': ${(error as Error).message}.`);
    }
    return { kind: 'cron', expression, timezone };
  }
  if (input.timezone !== null && input.timezone !== DEFAULT_TIMEZONE) throw badInput('timezone applies to cron schedules only.');
  const seconds = input.intervalSeconds ?? 3600;
  if (seconds < 1) throw badInput('interval_seconds must be >= 1.');
  return { kind: 'interval', seconds };
}

/** The IANA name as the runtime spells it ('utc' → 'UTC'), or a 400 for an unknown zone. */
function canonicalTimezone(timezone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {
    throw badInput(`Unknown timezone '${timezone}': use an IANA name such as 'Europe/Paris' or 'UTC'.`);
  }
}

/** The first slot of a new schedule: `startInSeconds` from now, or the first cron time from then on. */
export function firstSlot(cadence: Cadence, now: Date, startInSeconds: number): Date {
  const start = new Date(now.getTime() + startInSeconds * 1000);
  if (cadence.kind === 'interval') return start;
  return cronAfter(cadence, new Date(start.getTime() - 1));
}

/**
 * The slot that follows `slot` (which has just fired), given that it is `now`: the next one on
 * the cadence (slot + whole intervals, or the next cron time), except that slots more than
 * `graceMs` in the past were missed (the service was down or stalled) and are skipped, not made
 * up (decision 11). So a late fire never loses a slot that is less than the grace late, and a
 * schedule back from downtime fires once and then keeps its cadence.
 */
export function nextSlotAfter(cadence: Cadence, slot: Date, now: Date, graceMs = 0): Date {
  const earliest = now.getTime() - graceMs;
  if (cadence.kind === 'cron') return cronAfter(cadence, new Date(Math.max(slot.getTime(), earliest - 1)));
  const step = cadence.seconds * 1000;
  const behind = earliest - slot.getTime();
  const steps = behind <= step ? 1 : Math.ceil(behind / step);
  return new Date(slot.getTime() + steps * step);
}

/**
 * The next `count` slots that will fire, starting with `from` (the due slot): each one fires at
 * its time or, when overdue, now, and leaves the slot nextSlotAfter gives.
 */
export function upcomingSlots(cadence: Cadence, from: Date, count: number, now: Date, graceMs: number): Date[] {
  const slots: Date[] = [];
  let slot = from;
  for (let index = 0; index < count; index += 1) {
    slots.push(slot);
    const firedAt = slot.getTime() > now.getTime() ? slot : now;
    slot = nextSlotAfter(cadence, slot, firedAt, graceMs);
  }
  return slots;
}

/**
 * The first cron time strictly after `after`. DST follows cron-parser: a wall time that a
 * spring-forward skips fires at the same time one hour later (02:30 → 03:30), a wall time that
 * a fall-back repeats fires once, at its first occurrence; minute and second wildcards fire
 * at every real instant they match.
 */
function cronAfter(cadence: Extract<Cadence, { kind: 'cron' }>, after: Date): Date {
  return CronExpressionParser.parse(cadence.expression, { currentDate: after, tz: cadence.timezone }).next().toDate();
}
