import type { Database, Tx } from '../db/client.js';
import { AppError, badInput, notFound } from '../errors.js';
import type { EventService } from '../events/service.js';
import type { NewEvent } from '../events/types.js';
import type { Event, Schedule } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import { clampPageSize, decodeCursor, toPage, type Page } from '../pagination.js';
import { pyStrip } from '../python/strings.js';
import { checkedTimeout, type RunService } from '../runs/service.js';
import type { CreatedTurn } from '../runs/types.js';
import type { SessionService } from '../sessions/service.js';
import { originOf, type RenderedSkill, type SkillService } from '../skills/service.js';
import { firstSlot, nextSlotAfter, parseCadence, upcomingSlots, type Cadence } from './cadence.js';
import type { ScheduleRepository } from './repository.js';
import {
  OVERLAP_POLICIES,
  ScheduleStatus,
  type CreateScheduleInput,
  type ScheduleWakeups,
  type TriggerInput,
  type TriggerOutcome,
} from './types.js';

export interface ScheduleServiceDeps {
  db: Database;
  repository: ScheduleRepository;
  skills: SkillService;
  runs: RunService;
  sessions: SessionService;
  events: EventService;
  wakeups: ScheduleWakeups;
  log: Logger;
  /** Slots fired later than this are skipped rather than made up (ANTON_SERVICE_SCHEDULER_MISFIRE_GRACE_SECONDS). */
  misfireGraceMs: number;
  /** The time; tests inject one to cross a DST change without waiting. */
  now?: () => Date;
}

/** What an automatic fire did with a due slot. */
export type FireResult =
  | { outcome: 'not-due' | 'gone' }
  | { outcome: 'fired'; runId: string }
  | { outcome: 'skipped'; runningRunId: string }
  | { outcome: 'failed'; detail: string };

const epochSeconds = (date: Date): number => date.getTime() / 1000;
/** interval_seconds and start_in_seconds are stored (and added to dates) as 32-bit integers. */
const MAX_INT32 = 2_147_483_647;

export class ScheduleService {
  private readonly now: () => Date;

  constructor(private readonly deps: ScheduleServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Validation in the reference's order (decisions add cron, timezone and overlap checks after its first three). */
  async create(input: CreateScheduleInput): Promise<Schedule> {
    const intervalSeconds = input.intervalSeconds ?? null;
    if (intervalSeconds !== null && intervalSeconds < 1) throw badInput('interval_seconds must be >= 1.');
    if (intervalSeconds !== null && intervalSeconds > MAX_INT32) throw badInput(`interval_seconds must be <= ${MAX_INT32}.`);
    const startInSeconds = input.startInSeconds ?? 0;
    if (startInSeconds < 0) throw badInput('start_in_seconds must be >= 0.');
    if (startInSeconds > MAX_INT32) throw badInput(`start_in_seconds must be <= ${MAX_INT32}.`);
    const skillVersion = input.skillVersion ?? null;
    if (skillVersion !== null && skillVersion < 1) throw badInput('skill_version must be >= 1.');
    const cadence = parseCadence({ intervalSeconds, cron: input.cron ?? null, timezone: input.timezone ?? null });
    const overlapPolicy = input.overlapPolicy ?? 'allow';
    if (!(OVERLAP_POLICIES as readonly string[]).includes(overlapPolicy)) throw badInput("overlap_policy must be 'allow' or 'skip'.");
    await this.deps.sessions.get(input.sessionId);
    const resolved = await this.deps.skills.resolve(input.skillId, skillVersion);
    const params = input.params ?? {};
    this.deps.skills.render(resolved, params);
    const name = scheduleName(input.name ?? null, resolved.skill.name, cadence);
    const active = input.active ?? true;
    const now = this.now();
    const nextRunAt = firstSlot(cadence, now, startInSeconds);
    const id = newId();
    return this.deps.db.$transaction(async (tx) => {
      const wakeupId = await this.deps.wakeups.create(tx, id, nextRunAt, active);
      return this.deps.repository.insert(tx, {
        id,
        name,
        sessionId: input.sessionId,
        skillId: input.skillId,
        skillVersion,
        params,
        intervalSeconds: cadence.kind === 'interval' ? cadence.seconds : null,
        cron: cadence.kind === 'cron' ? cadence.expression : null,
        timezone: cadence.kind === 'cron' ? cadence.timezone : 'UTC',
        overlapPolicy,
        nextRunAt,
        status: active ? ScheduleStatus.active : ScheduleStatus.paused,
        agendaJobId: wakeupId,
        createdAt: now,
        updatedAt: now,
      });
    });
  }

  async get(id: string): Promise<Schedule> {
    const schedule = await this.deps.repository.findById(id);
    if (!schedule) throw notFound(`Unknown schedule_id '${id}'.`);
    return schedule;
  }

  async list(status: string | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Page<Schedule>> {
    const size = clampPageSize(first, 200);
    return toPage(await this.deps.repository.listPage(status || null, size, decodeCursor(after)), size);
  }

  pause(id: string): Promise<Schedule> {
    return this.setStatus(id, ScheduleStatus.paused);
  }

  /** `next_run_at` stays as it is: an overdue schedule fires at once, then keeps its cadence. */
  resume(id: string): Promise<Schedule> {
    return this.setStatus(id, ScheduleStatus.active);
  }

  /**
   * A manual trigger: runs the skill now, even on a paused schedule. An overdue slot counts as
   * fired (next_run_at moves to the first slot after now); otherwise the cadence is untouched.
   * A failed manual trigger changes nothing.
   */
  async trigger(id: string, input: TriggerInput): Promise<TriggerOutcome> {
    const schedule = await this.get(id);
    const rendered = await this.renderFor(schedule);
    await this.deps.sessions.get(schedule.sessionId);
    const timeoutSeconds = checkedTimeout(input.waitTimeoutSeconds);
    const events: Event[] = [];
    const { updated, created } = await this.deps.db.$transaction(async (tx) => {
      const current = await this.lockOrThrow(tx, id);
      const now = this.now();
      const created = await this.deps.runs.createTurnIn(tx, {
        sessionId: current.sessionId,
        message: rendered.prompt,
        idempotencyKey: input.idempotencyKey,
        origin: originOf(rendered, current.id),
      });
      const overdue = current.nextRunAt.getTime() <= now.getTime();
      const nextRunAt = overdue ? nextSlotAfter(cadenceOf(current), current.nextRunAt, new Date(now.getTime() + 1)) : current.nextRunAt;
      const updated = await this.deps.repository.update(tx, id, { lastRunId: created.run.id, lastRunAt: now, updatedAt: now, nextRunAt });
      if (overdue) await this.deps.wakeups.move(tx, current.agendaJobId, nextRunAt, current.status === ScheduleStatus.active);
      events.push(await this.appendIn(tx, current, created.run.id, 'schedule_triggered', triggeredPayload(current, rendered, 'manual')));
      return { updated, created };
    });
    this.deps.runs.dispatch(created);
    this.deps.events.committed(events);
    const turn = await this.deps.runs.waitIfAsked(created, input.waitForCompletion ?? false, timeoutSeconds);
    return { schedule: updated, skillId: rendered.skill.id, skillVersion: rendered.version.version, renderedPrompt: rendered.prompt, turn };
  }

  /**
   * Fires the schedule's due slot, if it has one: at most once per slot whichever process calls
   * and however often, because the slot is claimed under the schedule's row lock and the run's
   * idempotency key is derived from the slot. A schedule that cannot be rendered is paused and
   * a `schedule_trigger_failed` event (run_id null) says why. Unexpected errors (the database)
   * are thrown, leaving the slot due for a retry.
   */
  async fireDue(id: string): Promise<FireResult> {
    const events: Event[] = [];
    let created: CreatedTurn | null = null;
    const result = await this.deps.db.$transaction(async (tx): Promise<FireResult> => {
      const schedule = await this.deps.repository.lock(tx, id);
      if (!schedule) return { outcome: 'gone' };
      const now = this.now();
      if (schedule.status !== ScheduleStatus.active || schedule.nextRunAt.getTime() > now.getTime()) return { outcome: 'not-due' };
      const slot = schedule.nextRunAt;
      const nextRunAt = nextSlotAfter(cadenceOf(schedule), slot, now, this.deps.misfireGraceMs);
      if (schedule.overlapPolicy === 'skip' && schedule.lastRunId && (await this.deps.runs.isUnfinished(tx, schedule.lastRunId))) {
        await this.advance(tx, schedule, { nextRunAt, updatedAt: now });
        const payload = { schedule_id: schedule.id, scheduled_for: epochSeconds(slot), running_run_id: schedule.lastRunId, mode: 'automatic' };
        events.push(await this.appendIn(tx, schedule, schedule.lastRunId, 'schedule_skipped', payload));
        return { outcome: 'skipped', runningRunId: schedule.lastRunId };
      }
      let rendered: RenderedSkill;
      try {
        rendered = await this.renderFor(schedule, tx);
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        await this.deps.repository.update(tx, schedule.id, { status: ScheduleStatus.paused, updatedAt: now });
        await this.deps.wakeups.move(tx, schedule.agendaJobId, schedule.nextRunAt, false);
        events.push(await this.appendIn(tx, schedule, null, 'schedule_trigger_failed', { schedule_id: schedule.id, detail: error.message }));
        return { outcome: 'failed', detail: error.message };
      }
      created = await this.deps.runs.createTurnIn(tx, {
        sessionId: schedule.sessionId,
        message: rendered.prompt,
        idempotencyKey: `schedule:${schedule.id}:${slot.getTime()}`,
        origin: originOf(rendered, schedule.id),
      });
      await this.advance(tx, schedule, { nextRunAt, updatedAt: now, lastRunId: created.run.id, lastRunAt: now });
      if (!created.reused) {
        const payload = { ...triggeredPayload(schedule, rendered, 'automatic'), scheduled_for: epochSeconds(slot) };
        events.push(await this.appendIn(tx, schedule, created.run.id, 'schedule_triggered', payload));
      }
      return { outcome: 'fired', runId: created.run.id };
    });
    if (created) this.deps.runs.dispatch(created);
    this.deps.events.committed(events);
    if (result.outcome === 'failed') this.deps.log.warn('schedule paused: its automatic trigger failed', { scheduleId: id, detail: result.detail });
    return result;
  }

  /**
   * When the schedule's wake-up should next run: its next slot, paused or not (a paused one's
   * job is disabled instead), so a late write of this value can never hide a slot. Null when
   * the schedule no longer exists.
   */
  async wakeupTime(id: string): Promise<Date | null> {
    const schedule = await this.deps.repository.findById(id);
    return schedule ? schedule.nextRunAt : null;
  }

  /**
   * The slots the next `count` automatic fires will be for (none while paused): next_run_at, then
   * what each fire leaves as the next slot, given that an overdue slot fires now.
   */
  nextRunTimes(schedule: Schedule, count = 5): Date[] {
    if (schedule.status !== ScheduleStatus.active) return [];
    return upcomingSlots(cadenceOf(schedule), schedule.nextRunAt, count, this.now(), this.deps.misfireGraceMs);
  }

  private async setStatus(id: string, status: string): Promise<Schedule> {
    return this.deps.db.$transaction(async (tx) => {
      const current = await this.lockOrThrow(tx, id);
      const updated = await this.deps.repository.update(tx, id, { status, updatedAt: this.now() });
      await this.deps.wakeups.move(tx, current.agendaJobId, current.nextRunAt, status === ScheduleStatus.active);
      return updated;
    });
  }

  private async advance(tx: Tx, schedule: Schedule, data: { nextRunAt: Date; updatedAt: Date; lastRunId?: string; lastRunAt?: Date }): Promise<void> {
    await this.deps.repository.update(tx, schedule.id, data);
    await this.deps.wakeups.move(tx, schedule.agendaJobId, data.nextRunAt, true);
  }

  private async lockOrThrow(tx: Tx, id: string): Promise<Schedule> {
    const schedule = await this.deps.repository.lock(tx, id);
    if (!schedule) throw notFound(`Unknown schedule_id '${id}'.`);
    return schedule;
  }

  private async renderFor(schedule: Schedule, tx?: Tx): Promise<RenderedSkill> {
    const resolved = await this.deps.skills.resolve(schedule.skillId, schedule.skillVersion, tx);
    return this.deps.skills.render(resolved, schedule.params as Record<string, string>);
  }

  private appendIn(tx: Tx, schedule: Schedule, runId: string | null, eventType: string, payload: NewEvent['payload']): Promise<Event> {
    return this.deps.events.appendIn(tx, { sessionId: schedule.sessionId, runId, eventType, payload });
  }
}

export function cadenceOf(schedule: Schedule): Cadence {
  if (schedule.cron !== null) return { kind: 'cron', expression: schedule.cron, timezone: schedule.timezone };
  return { kind: 'interval', seconds: schedule.intervalSeconds ?? 3600 };
}

function triggeredPayload(schedule: Schedule, rendered: RenderedSkill, mode: 'manual' | 'automatic'): Record<string, unknown> {
  return { schedule_id: schedule.id, skill_id: rendered.skill.id, skill_version: rendered.version.version, mode };
}

/** The reference's default name is `<skill>-every-<interval>s`; cron schedules get `<skill>-cron`. */
function scheduleName(given: string | null, skillName: string, cadence: Cadence): string {
  if (given === null || given === '') return cadence.kind === 'interval' ? `${skillName}-every-${cadence.seconds}s` : `${skillName}-cron`;
  const name = pyStrip(given);
  if (name === '') throw badInput('Schedule name cannot be empty.');
  return name;
}

