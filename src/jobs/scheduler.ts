// Automatic firing of schedules, on Agenda 6 over the service's PostgreSQL. Each schedule has
// one Agenda job (written by the schedules domain in the schedule's own transaction); Agenda
// finds due jobs, locks each in one process (FOR UPDATE SKIP LOCKED), runs it at its time, and
// this glue asks the domain to fire the schedule's due slot. Exactly-once per slot does not rest
// on Agenda: the domain claims the slot under the schedule's row lock.

import { Agenda, type Job, type JobWithId } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { SCHEDULE_JOB_NAME, type ScheduleJobData } from '../schedules/agendaJobs.js';
import type { ScheduleService } from '../schedules/service.js';

export interface SchedulerOptions {
  connectionString: string;
  /** ANTON_SERVICE_SCHEDULER_POLL_SECONDS: Agenda's processEvery. */
  pollSeconds: number;
  /** ANTON_SERVICE_SCHEDULER_BATCH_SIZE: how many schedules one process fires at once. */
  batchSize: number;
  /** Recorded by Agenda as the locker of a job (last_modified_by). */
  processName: string;
  log: Logger;
}

export interface RunningScheduler {
  /** Lets running fires finish, releases the jobs this process had locked ahead, and disconnects. */
  stop(): Promise<void>;
}

/** A fire that failed unexpectedly (the database) is retried this soon; its slot is still due. */
const RETRY_MS = 1000;
/** A timer that fires a little before the slot is due waits for it rather than for the next poll. */
const EARLY_TOLERANCE_MS = 1000;

export async function startScheduler(schedules: ScheduleService, options: SchedulerOptions): Promise<RunningScheduler> {
  const { log } = options;
  // A number of milliseconds: Agenda 6 parses '200 milliseconds' as 200 seconds (stack.md).
  const processEvery = Math.max(100, Math.round(options.pollSeconds * 1000));
  // Jobs are locked up to one poll ahead of their time, and a fire is one short transaction.
  // A process killed while holding locks delays those schedules by at most this much. (Agenda
  // also checks on a running job every lockLifetime / 2 with a timer that outlives the job.)
  const lockLifetime = Math.max(5_000, 2 * processEvery + 2_000);
  const pool = new pg.Pool({ connectionString: options.connectionString, max: 4 });
  pool.on('error', (error) => log.warn('scheduler database connection error', { error }));
  // ensureSchema false: our migrations own agenda_jobs, and two processes creating it at once collide.
  const backend = new PostgresBackend({ pool, ensureSchema: false });
  // Its LISTEN connection reports a lost connection as an 'error' event (it reconnects by
  // itself); unheard, that event would crash the process.
  backend.notificationChannel?.on('error', (error: unknown) => log.warn('scheduler notification channel error', { error }));
  const agenda = new Agenda({
    backend,
    name: options.processName,
    processEvery,
    maxConcurrency: options.batchSize,
    defaultConcurrency: options.batchSize,
    lockLimit: 0,
    defaultLockLifetime: lockLifetime,
  });
  agenda.on('error', (error: unknown) => log.warn('scheduler error', { error }));

  agenda.define<ScheduleJobData>(
    SCHEDULE_JOB_NAME,
    async (job: Job<ScheduleJobData>) => {
      // Agenda cleared nextRunAt before calling us (a one-off job); should this call be cut
      // short (lock expiry), the job must still come back, so it has a retry time from the start.
      job.attrs.nextRunAt = new Date(Date.now() + RETRY_MS);
      job.attrs.nextRunAt = await fire(schedules, job.attrs.data.scheduleId, log);
    },
    { concurrency: options.batchSize, lockLifetime, removeOnComplete: false },
  );
  // Agenda looks for jobs only on its poll and on notifications. A schedule whose next slot
  // comes before this process's next poll (intervals shorter than the poll) is announced so
  // that some process locks it in time; the job is unlocked by now, so it can be.
  agenda.on('complete', (job: JobWithId, remote?: false) => {
    if (remote || job.attrs.name !== SCHEDULE_JOB_NAME) return;
    const next = job.attrs.nextRunAt;
    if (next && next.getTime() - Date.now() < processEvery) void agenda.publishJobNotification(job);
  });
  try {
    await agenda.start();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
  log.info('scheduler started', { pollMs: processEvery, batchSize: options.batchSize });

  return {
    stop: async () => {
      await agenda.drain({ timeout: 10_000, closeConnection: false });
      await agenda.stop(false);
      await pool.end();
    },
  };
}

/** Fires the schedule's due slot and returns when its job should run next (never null while the schedule exists). */
async function fire(schedules: ScheduleService, scheduleId: string, log: Logger): Promise<Date | null> {
  try {
    let result = await schedules.fireDue(scheduleId);
    if (result.outcome === 'not-due') {
      const due = await schedules.wakeupTime(scheduleId);
      const wait = due ? due.getTime() - Date.now() : Infinity;
      if (wait > 0 && wait <= EARLY_TOLERANCE_MS) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        result = await schedules.fireDue(scheduleId);
      }
    }
    if (result.outcome === 'gone') return null;
    return await schedules.wakeupTime(scheduleId);
  } catch (error) {
    log.error('firing a schedule failed; retrying', { scheduleId, error });
    return new Date(Date.now() + RETRY_MS);
  }
}
