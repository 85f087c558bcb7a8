// Memory with the real agent (reference §10.6, decision 14): the `memorize` tool saves a learning
// that later runs recall when their message shares a word with it, and every completed run leaves
// a session summary that later runs recall under a stable id. Memory is service-wide.
import type { TestService } from '../../kit/service.js';
import { type Api, type EventBody, lastUserText, type LlmRelay, ofType, previews, PROVIDERS, useAgentService } from './helpers.js';

interface Provenance {
  kind: string;
  id: string;
}

function recallOf(events: EventBody[]): { retrieved_count: number; provenance: Provenance[] } {
  const [event] = ofType(events, 'memory_retrieval');
  if (!event) throw new Error('no memory_retrieval event');
  return event.payload as { retrieved_count: number; provenance: Provenance[] };
}

describe.each(PROVIDERS)('$name', (provider) => {
  let relay: LlmRelay;
  let service: TestService;
  let api: Api;

  useAgentService(
    provider,
    (setup) => {
      ({ relay, service, api } = setup);
    },
    { memory: true },
  );

  test('memorize saves a learning; a later run whose message shares a word recalls it, in another session too', async () => {
    const { id: teacher } = await api.session('teach');
    await relay.script([
      {
        toolCalls: [
          {
            id: 'm1',
            name: 'memorize',
            input: {
              topic: 'Churn Definition',
              content: 'Churn is the customers lost in a month divided by the customers at its start.',
              summary: 'churn = lost / starting customers',
            },
          },
        ],
      },
      { text: ['Noted.'] },
    ]);
    const taught = await api.turn(teacher, 'Remember how we define it');
    expect(taught).toMatchObject({ status: 'completed', reply: 'Noted.', tool_calls: 1 });
    expect(previews(await api.events(teacher, taught.run_id))).toEqual(["Learning saved as 'churn_definition'."]);
    expect(await service.db.learning.findUnique({ where: { id: 'churn_definition' } })).toMatchObject({
      topic: 'Churn Definition',
      summary: 'churn = lost / starting customers',
    });

    const { id: student } = await api.session('recall');
    const llm = await relay.script([{ text: ['Using the saved definition.'] }]);
    const recalled = await api.turn(student, 'compute churn for march');
    expect(recalled.status).toBe('completed');

    const recall = recallOf(await api.events(student, recalled.run_id));
    expect(recall.provenance).toContainEqual({ kind: 'learning', id: 'churn_definition' });
    expect(recall.retrieved_count).toBe(recall.provenance.length);

    const prompt = lastUserText(provider, llm.requests[0]!);
    expect(prompt.startsWith('compute churn for march\n\n<retrieved_memory_context>\n')).toBe(true);
    expect(prompt).toContain('\nRelevant learnings:\n- Churn Definition: churn = lost / starting customers');
    expect(prompt.endsWith('\n</retrieved_memory_context>')).toBe(true);
    // The run keeps the message as sent; the trace keeps what the model received.
    expect(await api.run(recalled.run_id)).toMatchObject({ prompt: 'compute churn for march' });
    expect((await api.trace(recalled.run_id)).model_prompt).toBe(prompt);

    // A message that shares no word with the learning does not recall it.
    const unrelated = await relay.script([{ text: ['Hi.'] }]);
    const other = await api.turn(student, 'hello there');
    expect(recallOf(await api.events(student, other.run_id)).provenance).not.toContainEqual({ kind: 'learning', id: 'churn_definition' });
    expect(lastUserText(provider, unrelated.requests[0]!)).not.toContain('Relevant learnings:');
  });

  test('every completed run writes a session summary that later runs recall under the same id', async () => {
    const { id: session } = await api.session('summaries');
    await relay.script([{ text: ['Revenue grew 5%.'] }]);
    const first = await api.turn(session, 'How did revenue do?');
    expect(first.status).toBe('completed');
    const summaryOfFirst = await service.db.sessionSummary.findUnique({ where: { runId: first.run_id } });
    expect(summaryOfFirst).not.toBeNull();
    expect(summaryOfFirst!.summary).toContain('How did revenue do?');
    expect(summaryOfFirst!.summary).toContain('Revenue grew 5%.');

    let llm = await relay.script([{ text: ['Costs fell.'] }]);
    const second = await api.turn(session, 'And costs?');
    const secondRecall = recallOf(await api.events(session, second.run_id));
    // Most recent first.
    expect(secondRecall.provenance[0]).toEqual({ kind: 'session_summary', id: summaryOfFirst!.id });
    const secondPrompt = lastUserText(provider, llm.requests[0]!);
    expect(secondPrompt).toContain('\nRecent session summaries:\n');
    expect(secondPrompt).toContain(`- ${summaryOfFirst!.id}: `);
    expect(secondPrompt).toContain('Revenue grew 5%.');

    const summaryOfSecond = await service.db.sessionSummary.findUnique({ where: { runId: second.run_id } });
    llm = await relay.script([{ text: ['Margins held.'] }]);
    const third = await api.turn(session, 'And margins?');
    const thirdRecall = recallOf(await api.events(session, third.run_id));
    // The first run's summary has the same id in both later runs.
    expect(thirdRecall.provenance.slice(0, 2)).toEqual([
      { kind: 'session_summary', id: summaryOfSecond!.id },
      { kind: 'session_summary', id: summaryOfFirst!.id },
    ]);
    expect(lastUserText(provider, llm.requests[0]!)).toContain(`- ${summaryOfFirst!.id}: `);
  });
});
