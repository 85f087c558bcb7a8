// The conversation lives in PostgreSQL (decisions.md "Add"): the next turn's model request carries
// the earlier turns, tool calls and results included, and it still does after the service restarts
// on the same database.
import { rm } from 'node:fs/promises';
import { createTestDatabase } from '../../kit/db.js';
import { makeHome, type TestService } from '../../kit/service.js';
import { Api, LlmRelay, PROVIDERS, startAgentService, stepsOf, wireProblems, type Step } from './helpers.js';

describe.each(PROVIDERS)('$name', (provider) => {
  test('a second turn sees the first; after a restart on the same database the conversation continues', async () => {
    const relay = await LlmRelay.start(provider);
    const database = await createTestDatabase();
    const home = await makeHome();
    let service: TestService | null = null;
    try {
      service = await startAgentService(relay, { database, home });
      let api = new Api(service);
      const { id: session } = await api.session('history');

      await relay.script([
        { text: ['Let me check.'], toolCalls: [{ id: 'h1', name: 'update_context', input: { updates: [] } }] },
        { text: ['Hello Ada.'] },
      ]);
      const first = await api.turn(session, 'My name is Ada.');
      expect(first).toMatchObject({ status: 'completed', reply: 'Let me check.\n\nHello Ada.' });

      let llm = await relay.script([{ text: ['Your name is Ada.'] }]);
      await api.turn(session, 'What is my name?');
      const firstTurn: Step[] = [
        { role: 'user', text: 'My name is Ada.' },
        { role: 'assistant', text: 'Let me check.' },
        { role: 'tool_use', id: 'h1', name: 'update_context', input: { updates: [] } },
        { role: 'tool_result', id: 'h1', content: 'No valid updates provided.' },
        { role: 'assistant', text: 'Hello Ada.' },
      ];
      expect(stepsOf(provider, llm.requests[0]!)).toEqual([...firstTurn, { role: 'user', text: 'What is my name?' }]);

      const stopped = service;
      service = null;
      await stopped.dispose();
      service = await startAgentService(relay, { database, home });
      api = new Api(service);

      llm = await relay.script([{ text: ['Still here, Ada.'] }]);
      const third = await api.turn(session, 'Still there?');
      expect(third).toMatchObject({ status: 'completed', reply: 'Still here, Ada.' });
      expect(stepsOf(provider, llm.requests[0]!)).toEqual([
        ...firstTurn,
        { role: 'user', text: 'What is my name?' },
        { role: 'assistant', text: 'Your name is Ada.' },
        { role: 'user', text: 'Still there?' },
      ]);
      expect(wireProblems(provider, llm.requests[0]!)).toEqual([]);
    } finally {
      await service?.dispose();
      await relay.close();
      await database.drop();
      await rm(home, { recursive: true, force: true });
    }
  });
});
