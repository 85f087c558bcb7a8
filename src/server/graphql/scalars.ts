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

function literalToJson(node: ValueNode, variables: Record<string, unknown> | null | undefined): unknown {
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
      return node.values.map((item) => literalToJson(item, variables));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((field) => [field.name.value, literalToJson(field.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[node.name.value];
    default:
      throw invalid('JSON cannot represent this value.');
  }
}

/** Any JSON value; objects come out with sorted keys, as the reference stores them. */
export const JSONScalar = new GraphQLScalarType<unknown, unknown>({
  name: 'JSON',
  serialize: (value) => sortKeysDeep(value),
  parseValue: (value) => value,
  parseLiteral: (node, variables) => literalToJson(node, variables),
});
