/**
 * Which subscriptions may share one execution per source item.
 *
 * graphql-js runs `execute(document, rootValue = item)` once per item per subscription. When the
 * selection reads nothing but the item itself (no context, no arguments, no I/O), every
 * subscription with the same selection and the same selection-relevant variables gets exactly the
 * same result for the same item, so it can be executed (and serialised) once and shared. This
 * module decides that from the document alone and gives such subscriptions a key; anything it
 * cannot prove shareable gets `null` and takes graphql-ws's ordinary path.
 */
import { Kind, getOperationAST, print } from 'graphql';
import type { DirectiveNode, DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, SelectionSetNode } from 'graphql';

/**
 * Root subscription fields whose `resolve` maps the source item without looking at the context or
 * the arguments (the arguments only choose the stream, in `subscribe`). See src/events/resolvers.ts.
 */
const ITEM_ONLY_ROOT_FIELDS: ReadonlyMap<string, string> = new Map([['sessionEvents', 'SessionStreamItem']]);

/**
 * Fields, by parent type, whose value depends only on the parent object: default resolvers,
 * `Event.id` (Number(row.id)), the DateTime and JSON scalars, `__typename` (the union's
 * `__resolveType` reads the item only). A field added here must be a pure function of its parent;
 * a resolver that reads the context (loaders, services) must never be listed.
 */
const ITEM_ONLY_FIELDS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['SessionStreamItem', new Set(['__typename'])],
  ['Event', new Set(['__typename', 'id', 'sessionId', 'runId', 'ts', 'eventType', 'payload'])],
  ['ReplyDelta', new Set(['__typename', 'sessionId', 'runId', 'text'])],
]);

/** Directives whose effect depends only on variable values (which become part of the key). */
const VARIABLE_ONLY_DIRECTIVES = new Set(['include', 'skip']);

/**
 * The key under which executions of this operation may be shared, or null when sharing is not
 * provably exact. Two subscriptions with equal keys get byte-identical results for the same item.
 */
export function shareKeyOf(document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>> | null | undefined): string | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation || operation.operation !== 'subscription') return null;
  const [root, ...others] = operation.selectionSet.selections;
  if (!root || others.length > 0 || root.kind !== Kind.FIELD || (root.directives?.length ?? 0) > 0 || !root.selectionSet) return null;
  const rootType = ITEM_ONLY_ROOT_FIELDS.get(root.name.value);
  if (!rootType) return null;

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const usedVariables = new Set<string>();
  if (!selectionIsItemOnly(root.selectionSet, rootType, fragments, usedVariables, new Set())) return null;

  // The root field's arguments pick the stream, not the result: leave them out of the key, so that
  // subscribers resuming from different cursors still share.
  const withoutRootArguments: OperationDefinitionNode = { ...operation, selectionSet: { ...operation.selectionSet, selections: [{ ...root, arguments: [] }] } };
  const text = print({ ...document, definitions: document.definitions.map((d) => (d === operation ? withoutRootArguments : d)) });
  const relevant = [...usedVariables].sort().map((name) => [name, variables?.[name] ?? null]);
  return JSON.stringify([text, operationName ?? null, relevant]);
}

function selectionIsItemOnly(
  selectionSet: SelectionSetNode,
  typeName: string,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  usedVariables: Set<string>,
  visiting: Set<string>,
): boolean {
  const allowed = ITEM_ONLY_FIELDS.get(typeName);
  if (!allowed) return false;
  for (const selection of selectionSet.selections) {
    if (!directivesAreVariableOnly(selection.directives, usedVariables)) return false;
    switch (selection.kind) {
      case Kind.FIELD:
        if (!allowed.has(selection.name.value) || (selection.arguments?.length ?? 0) > 0 || selection.selectionSet) return false;
        break;
      case Kind.INLINE_FRAGMENT: {
        const type = selection.typeCondition?.name.value ?? typeName;
        if (!selectionIsItemOnly(selection.selectionSet, type, fragments, usedVariables, visiting)) return false;
        break;
      }
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Validation rejects unknown and cyclic fragments; refuse them here all the same.
        if (!fragment || visiting.has(name)) return false;
        if (!directivesAreVariableOnly(fragment.directives, usedVariables)) return false;
        visiting.add(name);
        const ok = selectionIsItemOnly(fragment.selectionSet, fragment.typeCondition.name.value, fragments, usedVariables, visiting);
        visiting.delete(name);
        if (!ok) return false;
        break;
      }
    }
  }
  return true;
}

function directivesAreVariableOnly(directives: readonly DirectiveNode[] | undefined, usedVariables: Set<string>): boolean {
  for (const directive of directives ?? []) {
    if (!VARIABLE_ONLY_DIRECTIVES.has(directive.name.value)) return false;
    for (const argument of directive.arguments ?? []) {
      if (argument.value.kind === Kind.VARIABLE) usedVariables.add(argument.value.name.value);
    }
  }
  return true;
}
