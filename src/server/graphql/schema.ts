import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { approvalResolvers } from '../../approvals/resolvers.js';
import { artifactResolvers } from '../../artifacts/resolvers.js';
import { eventResolvers } from '../../events/resolvers.js';
import { metricsResolvers } from '../../metrics/resolvers.js';
import { runResolvers } from '../../runs/resolvers.js';
import { scheduleResolvers } from '../../schedules/resolvers.js';
import { sessionResolvers } from '../../sessions/resolvers.js';
import { skillResolvers } from '../../skills/resolvers.js';
import { DateTimeScalar, JSONScalar, SafeIntScalar } from './scalars.js';

/** schema.graphql sits at the repository root: three levels up from src/server/graphql and from dist/server/graphql. */
export const SCHEMA_PATH = fileURLToPath(new URL('../../../schema.graphql', import.meta.url));

export function buildSchema(): GraphQLSchema {
  return makeExecutableSchema({
    typeDefs: readFileSync(SCHEMA_PATH, 'utf8'),
    resolvers: [
      { DateTime: DateTimeScalar, JSON: JSONScalar, SafeInt: SafeIntScalar },
      sessionResolvers,
      runResolvers,
      eventResolvers,
      approvalResolvers,
      artifactResolvers,
      metricsResolvers,
      skillResolvers,
      scheduleResolvers,
    ],
    resolverValidationOptions: { requireResolversToMatchSchema: 'error' },
  });
}
