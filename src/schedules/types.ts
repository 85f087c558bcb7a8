import type { Tx } from '../db/client.js';
import type { Schedule } from '../generated/prisma/client.js';
import type { TurnOutcome } from '../runs/types.js';

export const ScheduleStatus = { active: 'active', paused: 'paused' } as const;
export const OVERLAP_POLICIES = ['allow', 'skip'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/**
 * The wake-up of a schedule: what makes some process look at it when its next slot is due
 * (an Agenda job). Written in the same transaction as the schedule, so the two cannot disagree
 * after a crash.
 */
export interface ScheduleWakeups {
  create(tx: Tx, scheduleId: string, at: Date, enabled: boolean): Promise<string>;
  move(tx: Tx, wakeupId: string, at: Date, enabled: boolean): Promise<void>;
}

export interface CreateScheduleInput {
  name?: string | null;
  sessionId: string;
  skillId: string;
  skillVersion?: number | null;
  params?: Record<string, string> | null;
  intervalSeconds?: number | null;
  cron?: string | null;
  timezone?: string | null;
  startInSeconds?: number | null;
  active?: boolean | null;
  overlapPolicy?: string | null;
}

export interface TriggerInput {
  idempotencyKey?: string | null;
  waitForCompletion?: boolean | null;
  waitTimeoutSeconds?: number | null;
}

export interface TriggerOutcome {
  schedule: Schedule;
  skillId: string;
  skillVersion: number;
  renderedPrompt: string;
  turn: TurnOutcome;
}
