/**
 * graphql-ws's `subscribe` for this service: item-only subscriptions (shareable.ts) execute each
 * source item once per share key and reuse the serialised result for every subscriber, whose
 * frames go out through the socket's outbox (directSubscription.ts); every other operation takes
 * graphql-js's own `subscribe` and graphql-ws's ordinary path.
 *
 * The result a subscriber receives is exactly what graphql-js + graphql-ws would have sent it:
 * the same `execute` call (the subscriber's document, variables and root value; only the context
 * may be another subscriber's, which item-only selections never read), the same payload shape
 * and key order, and errors masked and logged per subscriber with its own context.
 */
import type http from 'node:http';
import { createSourceEventStream, execute, subscribe } from 'graphql';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type WebSocket from 'ws';
import type { Logger } from '../../logger.js';
import type { RequestContext } from '../context.js';
import { DirectSubscription } from './directSubscription.js';
import { formatErrors } from './formatErrors.js';
import { Outbox } from './outbox.js';
import { shareKeyOf } from './shareable.js';

/** Where one subscription's frames go. */
export interface SubscriptionTarget {
  socket: WebSocket;
  request: http.IncomingMessage;
  /** The client's id for the subscription. */
  id: string;
  context: RequestContext;
}

/** One execution for an item: the result, and its serialised `payload` when it has no errors. */
interface Rendered {
  result: ExecutionResult;
  json: string | null;
}

type OperationResult = AsyncGenerator<ExecutionResult> | AsyncIterable<ExecutionResult> | ExecutionResult;

export class SharedDelivery {
  private readonly targets = new WeakMap<ExecutionArgs, SubscriptionTarget>();
  private readonly outboxes = new WeakMap<WebSocket, Outbox>();
  /** Per source item, per share key. Weak: an item's results go when no queue holds it any more. */
  private readonly results = new WeakMap<object, Map<string, Rendered | Promise<Rendered>>>();

  constructor(private readonly log: Logger) {}

  /** Records where the frames of the operation `args` go (from onSubscribe, with the args it returns). */
  route(args: ExecutionArgs, target: SubscriptionTarget): void {
    this.targets.set(args, target);
  }

  async subscribe(args: ExecutionArgs): Promise<OperationResult> {
    const target = this.targets.get(args);
    const key = target ? shareKeyOf(args.document, args.operationName, args.variableValues) : null;
    if (!target || key === null) return subscribe(args);
    // What graphql-js's subscribe does first; it would then map each item through execute.
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const prefix = `{"id":${JSON.stringify(target.id)},"type":"next","payload":`;
    return new DirectSubscription(source[Symbol.asyncIterator](), (item) => this.render(args, key, item, target, prefix), this.outboxOf(target));
  }

  private outboxOf(target: SubscriptionTarget): Outbox {
    let outbox = this.outboxes.get(target.socket);
    if (!outbox) this.outboxes.set(target.socket, (outbox = new Outbox(target.socket, target.request.socket)));
    return outbox;
  }

  /** The `next` frame of `item` for one subscriber. */
  private render(args: ExecutionArgs, key: string, item: unknown, target: SubscriptionTarget, prefix: string): string | Promise<string> {
    const shared = this.execution(args, key, item);
    return shared instanceof Promise ? shared.then((rendered) => this.frame(rendered, target, prefix)) : this.frame(shared, target, prefix);
  }

  private execution(args: ExecutionArgs, key: string, item: unknown): Rendered | Promise<Rendered> {
    const cacheable = typeof item === 'object' && item !== null;
    const perItem = cacheable ? this.results.get(item) : undefined;
    const cached = perItem?.get(key);
    if (cached) return cached;
    const result = execute({ ...args, rootValue: item });
    const rendered = result instanceof Promise ? result.then(toRendered) : toRendered(result);
    if (cacheable) {
      if (perItem) perItem.set(key, rendered);
      else this.results.set(item, new Map([[key, rendered]]));
    }
    return rendered;
  }

  /** As graphql-ws would write it: `{id, type, payload}` with the payload as our onNext shapes it. */
  private frame(rendered: Rendered, target: SubscriptionTarget, prefix: string): string {
    if (rendered.json !== null) return `${prefix}${rendered.json}}`;
    const { result } = rendered;
    const payload = { ...result, errors: formatErrors(result.errors ?? [], target.context, this.log) };
    return JSON.stringify({ id: target.id, type: 'next', payload });
  }
}

function toRendered(result: ExecutionResult): Rendered {
  return { result, json: result.errors ? null : JSON.stringify(result) };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
