import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { sortKeysDeep } from '../../json.js';

const invalid = (message: string): GraphQLError => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    throw new TypeError('DateTime cannot represent a non-Date value.');
  },
  parseValue(value) {
    const date = typeof value === 'string' ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime())) throw invalid('DateTime must be an ISO-8601 string.');
    return date;
  },
  parseLiteral(node) {
    if (node.kind !== Kind.STRING) throw invalid('DateTime must be an ISO-8601 string.');
    const date = new Date(node.value);
    if (Number.isNaN(date.getTime())) throw invalid('DateTime must be an ISO-8601 string.');
    return date;
  },
});

function toSafeInt(value: unknown): number {
  const number = typeof value === 'bigint' ? Number(value) : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw invalid('SafeInt must be an integer between -(2^53-1) and 2^53-1.');
  return number;
}

export const SafeIntScalar = new GraphQLScalarType<number, number>({
  name: 'SafeInt',
  serialize: (value) => toSafeInt(value),
  parseValue: (value) => toSafeInt(value),
  parseLiteral(node) {
    if (node.kind !== Kind.INT && node.kind !== Kind.STRING) throw invalid('SafeInt must be an integer.');
    return toSafeInt(node.value);
  },
});

/**
 * How deeply a JSON input may nest. Deeper values (easily sent: `[[[[…]]]]` is 2 bytes a level)
 * would overflow the call stack of every recursive walk after this one (key sorting, Prisma's
 * serialiser, JSON.stringify) and end as a 500; they are refused here as the client's mistake.
 */
export const MAX_JSON_DEPTH = 100;

const tooDeep = (): GraphQLError => invalid(`JSON values may be nested at most ${MAX_JSON_DEPTH} levels deep.`);

function literalToJson(node: ValueNode, variables: Record<string, unknown> | null | undefined, depth = 0): unknown {
  // Checked while walking: the walk is recursive, so an unchecked deep literal would overflow it.
  if ((node.kind === Kind.LIST || node.kind === Kind.OBJECT) && depth >= MAX_JSON_DEPTH) throw tooDeep();
  switch (node.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return node.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(node.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return node.values.map((item) => literalToJson(item, variables, depth + 1));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, literalToJson(field.value, variables, depth + 1)]));
    case Kind.VARIABLE:
      return variables?.[node.name.value];
    default:
      throw invalid('JSON cannot represent this value.');
  }
}

/** Whether `value` nests arrays and objects more than `limit` levels deep; iterative, so any depth is safe. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth + 1 > limit) return true;
    for (const item of Array.isArray(current) ? current : Object.values(current)) pending.push([item, depth + 1]);
  }
  return false;
}

function checkedJson(value: unknown): unknown {
  if (nestsDeeperThan(value, MAX_JSON_DEPTH)) throw tooDeep();
  return value;
}

/** Any JSON value; objects come out with sorted keys, as the reference stores them. */
export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (value) => sortKeysDeep(value),
  parseValue: (value) => checkedJson(value),
  parseLiteral: (node, variables) => checkedJson(literalToJson(node, variables)),
});
