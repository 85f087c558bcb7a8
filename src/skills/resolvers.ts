import type { Resolvers } from '../generated/graphql.js';
import { toConnection } from '../server/graphql/connection.js';
import { skillCursor } from './repository.js';
import { paramsFrom } from './service.js';

export const skillResolvers: Resolvers = {
  Query: {
    skill: (_parent, { id }, { services }) => services.skills.get(id),
    skills: async (_parent, { first, after }, { services }) => toConnection(await services.skills.list(first, after), skillCursor),
  },
  Mutation: {
    createSkill: (_parent, { input }, { services }) => services.skills.create(input),
    addSkillVersion: (_parent, { skillId, promptTemplate }, { services }) => services.skills.addVersion(skillId, promptTemplate),
    runSkill: (_parent, { input }, { services }) => services.skills.run({ ...input, params: paramsFrom(input.params) }),
  },
  Skill: {
    latest: (skill, _args, { services }) => services.skills.latestVersion(skill),
    version: async (skill, { version }, { services }) => (await services.skills.resolve(skill.id, version)).version,
    versions: (skill, _args, { services }) => services.skills.listVersions(skill.id),
  },
};
