// DIAGNOSTIC "what if" patches (BENCH_WHATIF_*): run-time stand-ins for changes suggested to the
// service, applied to library internals in the bench process only, so that the bench can show
// what a change would buy before anyone makes it. Nothing in src/ changes; every patch is undone.
//
// sharedExecute: one GraphQL execution per (event, operation, variables) shared by every
//   subscriber, instead of one per subscriber (graphql's subscribe() calls execute() per event
//   per subscription). Keyed on the event row, which LiveEvents hands to every subscriber.
// corkedSend: frames to one socket within an event-loop turn leave in one write (the socket is
//   corked until setImmediate), and graphql-ws is not made to wait for each frame's flush
//   callback before the subscription's next event (the callback is answered at once).
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import type { DocumentNode, ExecutionArgs } from 'graphql';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);

export interface WhatIfOptions {
  sharedExecute: boolean;
  corkedSend: boolean;
}

export interface WhatIf {
  stats(): { executions: number; sharedHits: number };
  undo(): void;
}

type Execute = (args: ExecutionArgs) => unknown;

export function applyWhatIf(options: WhatIfOptions): WhatIf {
  const undo: Array<() => void> = [];
  let executions = 0;
  let sharedHits = 0;

  if (options.sharedExecute) {
    // graphql's subscribe.js calls `(0, _execute.execute)(…)` through this CommonJS exports object.
    const executeModule = require('graphql/execution/execute.js') as { execute: Execute };
    const { print } = require('graphql') as { print: (document: DocumentNode) => string };
    const original = executeModule.execute;
    const documentKeys = new WeakMap<DocumentNode, string>();
    const results = new WeakMap<object, Map<string, unknown>>();
    executeModule.execute = (args: ExecutionArgs) => {
      const root = args.rootValue as { kind?: string; event?: object } | undefined;
      const shared = root?.kind === 'event' && root.event ? root.event : null;
      if (!shared) return original(args);
      let documentKey = documentKeys.get(args.document);
      if (documentKey === undefined) documentKeys.set(args.document, (documentKey = print(args.document)));
      const key = `${documentKey}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}`;
      let perEvent = results.get(shared);
      if (!perEvent) results.set(shared, (perEvent = new Map()));
      const cached = perEvent.get(key);
      if (cached !== undefined) {
        sharedHits++;
        return cached;
      }
      executions++;
      const result = original(args);
      perEvent.set(key, result);
      return result;
    };
    undo.push(() => {
      executeModule.execute = original;
    });
  }

  if (options.corkedSend) {
    const proto = WebSocket.prototype as unknown as { send: (...args: unknown[]) => void };
    const original = proto.send;
    const corked = new Set<Socket>();
    proto.send = function (this: { _socket?: Socket }, ...args: unknown[]) {
      const socket = this._socket;
      if (socket && !corked.has(socket)) {
        corked.add(socket);
        socket.cork();
        setImmediate(() => {
          corked.delete(socket);
          socket.uncork();
        });
      }
      const last = args.length - 1;
      const callback = typeof args[last] === 'function' ? (args[last] as (error?: Error) => void) : null;
      if (!callback) return original.apply(this, args);
      args[last] = () => undefined;
      original.apply(this, args);
      callback();
    };
    undo.push(() => {
      proto.send = original;
    });
  }

  return {
    stats: () => ({ executions, sharedHits }),
    undo: () => {
      for (const step of undo.splice(0).reverse()) step();
    },
  };
}
