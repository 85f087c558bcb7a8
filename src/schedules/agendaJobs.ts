import type { Tx } from '../db/client.js';
import type { ScheduleWakeups } from './types.js';

/** The Agenda job name under which every schedule's wake-up is stored. */
export const SCHEDULE_JOB_NAME = 'anton-schedule';

/** What a schedule's Agenda job carries. */
export interface ScheduleJobData {
  scheduleId: string;
}

/**
 * Schedule wake-ups as rows of Agenda's job table (created by our migrations in the layout
 * @agendajs/postgres-backend reads). Writing the row with SQL inside the schedule's own
 * transaction, rather than through Agenda's API on its own connection, is what keeps a
 * schedule and its job in step across crashes. Agenda then locks, times and runs the job.
 */
export const agendaJobWakeups: ScheduleWakeups = {
  async create(tx, scheduleId, at, enabled) {
    const data: ScheduleJobData = { scheduleId };
    const rows = await tx.$queryRaw<Array<{ id: string }>>`
      INSERT INTO agenda_jobs (name, type, priority, next_run_at, disabled, data)
      VALUES (${SCHEDULE_JOB_NAME}, 'normal', 0, ${at}, ${!enabled}, ${JSON.stringify(data)}::jsonb)
      RETURNING id::text AS id`;
    const created = rows[0];
    if (!created) throw new Error('Creating the Agenda job of a schedule returned no row.');
    return created.id;
  },
  async move(tx: Tx, wakeupId, at, enabled) {
    await tx.$executeRaw`
      UPDATE agenda_jobs SET next_run_at = ${at}, disabled = ${!enabled}, updated_at = now()
      WHERE id = ${wakeupId}::uuid`;
  },
};
