import type { Resolvers } from '../generated/graphql.js';

export const artifactResolvers: Resolvers = {
  Query: {
    artifactFile: async (_parent, { runId, artifactId }, { services }) => {
      const run = await services.runs.get(runId);
      const session = await services.sessions.get(run.sessionId);
      return services.artifacts.servableFile(runId, artifactId, session.workspacePath);
    },
  },
  Artifact: {
    sizeBytes: (artifact) => Number(artifact.sizeBytes),
  },
};
