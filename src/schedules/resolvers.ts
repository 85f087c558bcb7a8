import type { OverlapPolicy, Resolvers } from '../generated/graphql.js';
import { toConnection } from '../server/graphql/connection.js';
import { paramsFrom } from '../skills/service.js';

export const scheduleResolvers: Resolvers = {
  Query: {
    schedule: (_parent, { id }, { services }) => services.schedules.get(id),
    schedules: async (_parent, { status, first, after }, { services }) => toConnection(await services.schedules.list(status, first, after)),
  },
  Mutation: {
    createSchedule: (_parent, { input }, { services }) =>
      services.schedules.create({ ...input, params: paramsFrom(input.params) }),
    triggerSchedule: (_parent, { input }, { services }) => services.schedules.trigger(input.scheduleId, input),
    pauseSchedule: (_parent, { id }, { services }) => services.schedules.pause(id),
    resumeSchedule: (_parent, { id }, { services }) => services.schedules.resume(id),
  },
  Schedule: {
    overlapPolicy: (schedule) => schedule.overlapPolicy.toUpperCase() as OverlapPolicy,
    nextRunTimes: (schedule, _args, { services }) => services.schedules.nextRunTimes(schedule),
    runs: async (schedule, { first, after }, { services }) => toConnection(await services.runs.listForSchedule(schedule.id, first, after)),
  },
};
