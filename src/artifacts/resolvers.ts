import type { Resolvers } from '../generated/graphql.js';

export const artifactResolvers: Resolvers = {
  Artifact: {
    sizeBytes: (artifact) => Number(artifact.sizeBytes),
  },
};
