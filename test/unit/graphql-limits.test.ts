import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import type { ValidationRule } from 'graphql';
import { complexityLimitRule, depthLimitRule, queryLimitRules } from '../../src/server/graphql/limits.js';

const schema = buildSchema(`
  type Query {
    viewer: User
    users(first: Int): [User!]!
    posts(first: Int = 20): [Post!]!
    userConnection(first: Int, after: String): UserConnection!
  }
  type User {
    id: ID!
    name: String!
    bestFriend: User
    friends(first: Int): [User!]!
  }
  type Post {
    title: String!
    author: User!
  }
  type UserConnection {
    totalCount: Int!
    edges: [UserEdge!]!
  }
  type UserEdge {
    cursor: String!
    node: User!
  }
`);

function errors(query: string, rules: ValidationRule[]): string[] {
  return validate(schema, parse(query), rules).map((e) => e.message);
}
const depth = (query: string, max: number): string[] => errors(query, [depthLimitRule(max)]);
const complexity = (query: string, max: number): string[] => errors(query, [complexityLimitRule(max)]);

describe('depthLimitRule', () => {
  const deep = '{ viewer { bestFriend { bestFriend { name } } } }';

  it('allows a query at the limit and rejects one past it with the exact message', () => {
    expect(depth(deep, 4)).toEqual([]);
    expect(depth(deep, 3)).toEqual(['Query depth 4 exceeds the limit of 3.']);
  });

  it('reports QUERY_TOO_COMPLEX', () => {
    const [error] = validate(schema, parse(deep), [depthLimitRule(3)]);
    expect(error?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
  });

  it('follows fragment spreads and inline fragments', () => {
    const query = `
      { viewer { ...Friend } }
      fragment Friend on User { bestFriend { ... on User { bestFriend { id } } } }
    `;
    expect(depth(query, 3)).toEqual(['Query depth 4 exceeds the limit of 3.']);
  });

  it('does not count __typename', () => {
    expect(depth('{ viewer { bestFriend { __typename } } }', 2)).toEqual([]);
  });

  it('terminates on fragment cycles, leaving the error to graphql’s own rule', () => {
    const query = `
      { viewer { ...A } }
      fragment A on User { bestFriend { ...B } }
      fragment B on User { bestFriend { ...A } }
    `;
    expect(errors(query, queryLimitRules({ maxDepth: 10, maxComplexity: 1000 }))).toEqual([]);
  });

  it('reports at most one error per operation', () => {
    const query = `
      query A { viewer { bestFriend { bestFriend { id } } } posts { author { bestFriend { id } } } }
      query B { viewer { bestFriend { bestFriend { id } } } }
    `;
    expect(depth(query, 2)).toEqual(['Query depth 4 exceeds the limit of 2.', 'Query depth 4 exceeds the limit of 2.']);
  });
});

describe('complexityLimitRule', () => {
  it('charges 1 per field', () => {
    expect(complexity('{ viewer { id name } }', 2)).toEqual(['Query complexity 3 exceeds the limit of 2.']);
    expect(complexity('{ viewer { id name } }', 3)).toEqual([]);
  });

  it('multiplies list subtrees by their literal page size, nested lists compounding', () => {
    // 1 + 100 * (id + friends(1 + 100 * id)) = 10201
    const wide = '{ users(first: 100) { id friends(first: 100) { id } } }';
    expect(complexity(wide, 1000)).toEqual(['Query complexity 10201 exceeds the limit of 1000.']);
    const [error] = validate(schema, parse(wide), [complexityLimitRule(1000)]);
    expect(error?.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
  });

  it('uses the schema default when no literal is given', () => {
    expect(complexity('{ posts { title } }', 20)).toEqual(['Query complexity 21 exceeds the limit of 20.']);
    expect(complexity('query ($n: Int) { posts(first: $n) { title } }', 20)).toEqual([
      'Query complexity 21 exceeds the limit of 20.',
    ]);
  });

  it('uses the default multiplier of 10 for variables and missing page arguments', () => {
    // Validation has no variable values, so `$n` is unknown and `users` has no default.
    expect(complexity('query ($n: Int) { users(first: $n) { id } }', 10)).toEqual([
      'Query complexity 11 exceeds the limit of 10.',
    ]);
    expect(complexity('{ viewer { friends { id } } }', 11)).toEqual(['Query complexity 12 exceeds the limit of 11.']);
  });

  it('sizes connection edges by the connection field’s first', () => {
    // 1 + totalCount + edges(1 + 50 * (cursor + node(1 + id + name))) = 203
    const query = '{ userConnection(first: 50) { totalCount edges { cursor node { id name } } } }';
    expect(complexity(query, 203)).toEqual([]);
    expect(complexity(query, 202)).toEqual(['Query complexity 203 exceeds the limit of 202.']);
  });

  it('follows fragments, including connection fragments', () => {
    const users = `
      { users(first: 5) { ...UserFields } }
      fragment UserFields on User { id ... on User { name } }
    `;
    expect(complexity(users, 10)).toEqual(['Query complexity 11 exceeds the limit of 10.']);
    const page = `
      { userConnection(first: 5) { ...Page } }
      fragment Page on UserConnection { edges { node { id } } }
    `;
    expect(complexity(page, 11)).toEqual(['Query complexity 12 exceeds the limit of 11.']);
  });
});

describe('queryLimitRules', () => {
  const rules = queryLimitRules({ maxDepth: 3, maxComplexity: 5 });

  it('lets introspection through at low limits', () => {
    expect(validate(schema, parse(getIntrospectionQuery()), [...specifiedRules, ...rules])).toEqual([]);
    expect(errors('{ __typename viewer { __typename id } }', rules)).toEqual([]);
  });

  it('applies both limits, one error each per operation', () => {
    const query = '{ users(first: 100) { bestFriend { bestFriend { bestFriend { id } } } } }';
    expect(errors(query, rules)).toEqual([
      'Query depth 5 exceeds the limit of 3.',
      'Query complexity 401 exceeds the limit of 5.',
    ]);
  });
});
