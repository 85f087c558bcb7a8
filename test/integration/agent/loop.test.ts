// The tool loop's limits with the real agent (reference §10.2; decision 20): the round limit and
// its final call without tools, the failure-streak nudges, and cancellation mid-stream and
// mid-tool.
import type { RecordedRequest } from '../../kit/fakeLlm.js';
import type { TestService } from '../../kit/service.js';
import { waitUntil } from '../../kit/service.js';
import {
  type Api,
  type LlmRelay,
  ofType,
  openLiveStream,
  previews,
  PROVIDERS,
  stepsOf,
  toolNamesOf,
  types,
  useWarehouseAgentService,
  wireProblems,
} from './helpers.js';

const ROUND_LIMIT_MESSAGE =
  'SYSTEM: You have used 25 tool-call rounds on this turn. Stop retrying. Summarize what you accomplished and what failed, then tell the user what they can do to unblock the issue.';
const SECOND_FAILURE = '\n\nSYSTEM: This tool has failed twice in a row.';
const FIFTH_FAILURE = "\n\nSYSTEM: The 'connector' tool has failed 5 times in a row. Stop retrying this approach.";

describe.each(PROVIDERS)('$name', (provider) => {
  let relay: LlmRelay;
  let service: TestService;
  let api: Api;
  /** The requests of the round-limit run, for the follow-up check. */
  let roundLimitRequests: RecordedRequest[] = [];

  useWarehouseAgentService(provider, (setup) => {
    ({ relay, service, api } = setup);
  });

  test('after 25 tool rounds the loop makes one final call without tools, counts its tokens, and completes with its text', async () => {
    const { id: session } = await api.session('rounds');
    const toolTurn = (n: number): { toolCalls: Array<{ id: string; name: string; input: Record<string, unknown> }> } => ({
      toolCalls: [{ id: `r${n}`, name: 'update_context', input: { updates: [] } }],
    });
    const script = [...Array.from({ length: 26 }, (_, n) => toolTurn(n + 1)), { text: ['Summary: ', 'I gave up.'], usage: { input: 7, output: 3 } }];
    // Any call beyond the script would ask for yet another tool.
    const llm = await relay.script(script, { fallback: toolTurn(99) });

    const result = await api.turn(session, 'Keep trying');

    const requests = await llm.waitForRequests(27);
    roundLimitRequests = requests;
    expect(requests).toHaveLength(27);
    for (const request of requests.slice(0, 26)) expect(toolNamesOf(provider, request)).toContain('update_context');
    const last = requests[26]!;
    expect(last.body.tools).toBeUndefined();
    const lastSteps = stepsOf(provider, last);
    expect(lastSteps.at(-1)).toEqual({ role: 'user', text: ROUND_LIMIT_MESSAGE });
    expect(lastSteps.filter((step) => step.role === 'tool_result')).toHaveLength(25);

    // Decision 20: the final call's tokens count (26 calls of 10 + 5, then 7 + 3).
    expect(result).toMatchObject({ status: 'completed', error: null, reply: 'Summary: I gave up.', tool_calls: 25, total_tokens: 26 * 15 + 10 });
    expect(await api.run(result.run_id)).toMatchObject({ status: 'completed', response: 'Summary: I gave up.', input_tokens: 26 * 10 + 7, output_tokens: 26 * 5 + 3 });

    const events = await api.events(session, result.run_id);
    expect(ofType(events, 'stream_complete')).toHaveLength(27);
    expect(ofType(events, 'stream_complete').at(-1)?.payload).toEqual({ stop_reason: provider.stop.text, input_tokens: 7, output_tokens: 3 });
    expect(ofType(events, 'llm_response')).toHaveLength(26);
    expect(ofType(events, 'tool_call')).toHaveLength(25);
    expect(ofType(events, 'tool_result')).toHaveLength(25);
    expect(types(events)).not.toContain('assistant_reply');
    expect(types(events).at(-1)).toBe('stream_complete');
  });

  test('the final call after the round limit is a request the real provider API accepts', () => {
    expect(roundLimitRequests).toHaveLength(27);
    // The 26th response had tool calls and no text; the history must not turn it into an empty message.
    expect(wireProblems(provider, roundLimitRequests[26]!)).toEqual([]);
  });

  test('a tool failing repeatedly gets the second-failure nudge, then the five-failures text', async () => {
    const { id: session } = await api.session('streak');
    const failing = (n: number): { toolCalls: Array<{ id: string; name: string; input: Record<string, unknown> }> } => ({
      toolCalls: [{ id: `f${n}`, name: 'connector', input: { action: 'query', connector_id: 'nope', query: 'SELECT 1 LIMIT 1' } }],
    });
    const llm = await relay.script([failing(1), failing(2), failing(3), failing(4), failing(5), { text: ['It keeps failing.'] }]);

    const result = await api.turn(session, 'Query the nope connector');
    expect(result).toMatchObject({ status: 'completed', reply: 'It keeps failing.', tool_calls: 5 });

    const base = "Connector action failed: Unknown connector_id 'nope'.";
    const texts = previews(await api.events(session, result.run_id));
    expect(texts).toHaveLength(5);
    expect(texts[0]).toBe(base);
    expect(texts[1]!.startsWith(base + SECOND_FAILURE)).toBe(true);
    expect(texts[2]).toBe(base);
    expect(texts[3]).toBe(base);
    expect(texts[4]!.startsWith(base + FIFTH_FAILURE)).toBe(true);
    // The nudges are part of what the model receives.
    expect(stepsOf(provider, llm.requests[2]!).at(-1)).toEqual({ role: 'tool_result', id: 'f2', content: texts[1] });
    expect(stepsOf(provider, llm.requests[5]!).at(-1)).toEqual({ role: 'tool_result', id: 'f5', content: texts[4] });
  });

  test('cancelled mid-stream: the run ends cancelled with the partial reply, and the model request is abandoned', async () => {
    const { id: session } = await api.session('cancel-stream');
    const live = await openLiveStream(service, session);
    const abandonedBefore = relay.abandoned.length;
    try {
      await relay.script([{ text: ['part1 ', 'part2 ', 'part3'], delayMs: 20_000 }]);
      const waiting = api.turn(session, 'Write a long answer');
      const runId = await waitUntil(
        () => live.deltas.find((delta) => delta.text.includes('part1'))?.run_id,
        10_000,
        'the first reply delta',
      );
      const cancel = await api.post<Record<string, unknown>>(`/runs/${runId}/cancel`);
      expect(cancel).toMatchObject({ run_id: runId, status: 'cancellation_requested', cancel_requested: true });

      const result = await waiting;
      expect(result).toMatchObject({ run_id: runId, status: 'cancelled', reply: 'part1 ', error: null });
      expect(await api.run(runId)).toMatchObject({ status: 'cancelled', response: 'part1 ', cancel_requested: true });
      const events = types(await api.events(session, runId));
      expect(events).toContain('run_cancel_requested');
      expect(events).not.toContain('stream_complete');
      expect(events).not.toContain('assistant_reply');
      await waitUntil(() => (relay.abandoned.length > abandonedBefore ? true : undefined), 5_000, 'the model request to be abandoned');
      expect(relay.abandoned.slice(abandonedBefore)).toEqual([provider.name === 'anthropic' ? '/v1/messages' : '/v1/chat/completions']);
    } finally {
      live.close();
    }

    // The session carries on.
    const llm = await relay.script([{ text: ['Here it is.'] }]);
    const next = await api.turn(session, 'Shorter, please');
    expect(next).toMatchObject({ status: 'completed', reply: 'Here it is.' });
    expect(stepsOf(provider, llm.requests[0]!).filter((step) => step.role === 'user')).toEqual([
      { role: 'user', text: 'Write a long answer' },
      { role: 'user', text: 'Shorter, please' },
    ]);
  });

  test('cancelled while a tool runs: the run ends cancelled, and the next turn sends a valid conversation', async () => {
    const { id: session } = await api.session('cancel-tool');
    const live = await openLiveStream(service, session);
    try {
      await relay.script([
        {
          toolCalls: [
            {
              id: 'slow',
              name: 'scratchpad',
              input: { action: 'exec', name: 'main', code: 'import time\ntime.sleep(60)', one_line_description: 'wait', estimated_execution_time_seconds: 60 },
            },
          ],
        },
      ]);
      const waiting = api.turn(session, 'Wait a minute');
      await waitUntil(() => (live.eventTypes.includes('tool_call') ? true : undefined), 10_000, 'the tool call');
      const runs = await api.get<{ runs: Array<{ id: string }> }>(`/sessions/${session}/runs`);
      const runId = runs.runs[0]!.id;
      await api.post(`/runs/${runId}/cancel`);
      const result = await waiting;
      expect(result).toMatchObject({ run_id: runId, status: 'cancelled' });
    } finally {
      live.close();
    }

    const llm = await relay.script([{ text: ['Ok.'] }]);
    const next = await api.turn(session, 'Never mind');
    expect(next).toMatchObject({ status: 'completed', reply: 'Ok.' });
    expect(wireProblems(provider, llm.requests[0]!)).toEqual([]);
  });
});
