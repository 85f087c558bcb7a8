/**
 * Query depth and complexity limits.
 *
 * They are plain graphql-js validation rules so one implementation serves both HTTP GraphQL
 * (Apollo `validationRules`) and graphql-ws subscriptions (`validate(schema, document, rules)`).
 * Validation runs before variables are known, so every estimate here is made from the document
 * and the schema alone.
 */
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  typeFromAST,
} from 'graphql';
import type {
  FieldNode,
  GraphQLCompositeType,
  GraphQLField,
  GraphQLType,
  OperationDefinitionNode,
  SelectionSetNode,
  ValidationRule,
} from 'graphql';

/** Arguments that say how many items a list field returns. */
const PAGE_ARGUMENTS = ['first', 'last', 'limit'];

/** Assumed page size when neither the query nor the schema gives one (e.g. `first: $n`). */
const DEFAULT_LIST_MULTIPLIER = 10;

const ERROR_CODE = 'QUERY_TOO_COMPLEX';

function tooComplex(message: string, operation: OperationDefinitionNode): GraphQLError {
  return new GraphQLError(message, { nodes: [operation], extensions: { code: ERROR_CODE } });
}

// `__typename` costs nothing, and `__schema`/`__type` are exempt so GraphiQL and codegen can
// always introspect; together that is every field whose name starts with `__`.
function isMetaField(node: FieldNode): boolean {
  return node.name.value.startsWith('__');
}

function asComposite(type: GraphQLType | undefined): GraphQLCompositeType | undefined {
  return type !== undefined && isCompositeType(type) ? type : undefined;
}

/**
 * The page size a field asks for: a literal page argument, else that argument's schema default.
 * A variable counts as absent because validation cannot see its value.
 */
function pageSizeOf(field: GraphQLField<unknown, unknown>, node: FieldNode): number | undefined {
  let size: number | undefined;
  for (const arg of field.args) {
    if (!PAGE_ARGUMENTS.includes(arg.name)) continue;
    const value = node.arguments?.find((a) => a.name.value === arg.name)?.value;
    const given =
      value?.kind === Kind.INT
        ? Number.parseInt(value.value, 10)
        : typeof arg.defaultValue === 'number'
          ? arg.defaultValue
          : undefined;
    // Negative sizes return nothing; take the largest when several page arguments are set.
    if (given !== undefined) size = Math.max(size ?? 0, given, 0);
  }
  return size;
}

export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) => {
    // A fragment's depth does not depend on where it is spread, so compute it once: without this,
    // fragments that spread other fragments several times make the walk exponential.
    const fragmentDepths = new Map<string, number>();
    const inProgress = new Set<string>();

    const fragmentDepth = (name: string): number => {
      const known = fragmentDepths.get(name);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      // Unknown fragments and fragment cycles are reported by graphql's own rules; here they add nothing.
      if (!fragment || inProgress.has(name)) return 0;
      inProgress.add(name);
      const depth = selectionDepth(fragment.selectionSet);
      inProgress.delete(name);
      fragmentDepths.set(name, depth);
      return depth;
    };

    const selectionDepth = (selectionSet: SelectionSetNode): number => {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        let depth = 0;
        if (selection.kind === Kind.FIELD) {
          if (!isMetaField(selection)) depth = 1 + (selection.selectionSet ? selectionDepth(selection.selectionSet) : 0);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          // Fragments group fields at the same level; they are not a level of their own.
          depth = selectionDepth(selection.selectionSet);
        } else {
          depth = fragmentDepth(selection.name.value);
        }
        deepest = Math.max(deepest, depth);
      }
      return deepest;
    };

    return {
      OperationDefinition(operation) {
        const depth = selectionDepth(operation.selectionSet);
        if (depth > maxDepth) {
          context.reportError(tooComplex(`Query depth ${depth} exceeds the limit of ${maxDepth}.`, operation));
        }
        // The whole operation was measured above; the rule need not visit its inside again.
        return false;
      },
    };
  };
}

export function complexityLimitRule(maxComplexity: number): ValidationRule {
  return (context) => {
    const schema = context.getSchema();
    // Keyed by fragment name and inherited page size: the two things a fragment's cost depends on.
    const fragmentCosts = new Map<string, number>();
    const inProgress = new Set<string>();

    // `inherited` is the page size of an enclosing connection field (`users(first: 50) { edges … }`),
    // which sizes the list fields directly beneath it (`edges`, `nodes`).
    const fragmentCost = (name: string, inherited: number | undefined): number => {
      const key = `${name}:${inherited ?? ''}`;
      const known = fragmentCosts.get(key);
      if (known !== undefined) return known;
      const fragment = context.getFragment(name);
      // Unknown fragments and cycles are graphql's own validation errors; they cost nothing here.
      if (!fragment || inProgress.has(name)) return 0;
      inProgress.add(name);
      const type = asComposite(typeFromAST(schema, fragment.typeCondition));
      const cost = selectionCost(fragment.selectionSet, type, inherited);
      inProgress.delete(name);
      fragmentCosts.set(key, cost);
      return cost;
    };

    const fieldCost = (node: FieldNode, parentType: GraphQLCompositeType | undefined, inherited: number | undefined): number => {
      if (isMetaField(node)) return 0;
      // Unknown fields are another rule's error; count them as plain fields.
      const field =
        parentType !== undefined && (isObjectType(parentType) || isInterfaceType(parentType))
          ? parentType.getFields()[node.name.value]
          : undefined;
      if (node.selectionSet === undefined) return 1;
      const childType = field ? asComposite(getNamedType(field.type)) : undefined;
      const pageSize = field ? pageSizeOf(field, node) : undefined;
      if (field !== undefined && isListType(getNullableType(field.type))) {
        const multiplier = pageSize ?? inherited ?? DEFAULT_LIST_MULTIPLIER;
        return 1 + multiplier * selectionCost(node.selectionSet, childType, undefined);
      }
      // A paged field returning a single object is a connection: its page size flows to the lists inside.
      return 1 + selectionCost(node.selectionSet, childType, pageSize);
    };

    const selectionCost = (
      selectionSet: SelectionSetNode,
      parentType: GraphQLCompositeType | undefined,
      inherited: number | undefined,
    ): number => {
      // Fragments on different types are summed, not maxed: an upper bound is the safe side of a limit.
      let total = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          total += fieldCost(selection, parentType, inherited);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const type = selection.typeCondition ? asComposite(typeFromAST(schema, selection.typeCondition)) : parentType;
          total += selectionCost(selection.selectionSet, type, inherited);
        } else {
          total += fragmentCost(selection.name.value, inherited);
        }
      }
      return total;
    };

    return {
      OperationDefinition(operation) {
        const rootType = schema.getRootType(operation.operation) ?? undefined;
        const cost = selectionCost(operation.selectionSet, rootType, undefined);
        if (cost > maxComplexity) {
          context.reportError(tooComplex(`Query complexity ${cost} exceeds the limit of ${maxComplexity}.`, operation));
        }
        return false;
      },
    };
  };
}

/** Both limits, ready for Apollo's `validationRules` or graphql's `validate`. */
export function queryLimitRules(limits: { maxDepth: number; maxComplexity: number }): ValidationRule[] {
  return [depthLimitRule(limits.maxDepth), complexityLimitRule(limits.maxComplexity)];
}
