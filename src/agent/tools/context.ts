import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ToolSpec } from '../providers/types.js';
import type { MemoryPort } from '../ports.js';

export const updateContextToolSpec: ToolSpec = {
  name: 'update_context',
  description:
    'Write, replace or delete notes in the service-wide context folder; every later run sees them in its system prompt. ' +
    'Use it for lasting facts about yourself, the team or the data sources. content: null deletes the file.',
  inputSchema: {
    type: 'object',
    properties: {
      updates: {
        type: 'array',
        items: {
          type: 'object',
          properties: { file: { type: 'string' }, content: { type: ['string', 'null'] } },
          required: ['file'],
        },
      },
    },
    required: ['updates'],
  },
};

export const memorizeToolSpec: ToolSpec = {
  name: 'memorize',
  description:
    'Save a durable learning (a definition, a pitfall, a fact about the data) that later runs recall when a task shares its words. ' +
    'The same topic extends the existing learning.',
  inputSchema: {
    type: 'object',
    properties: {
      topic: { type: 'string', description: 'A short title, e.g. "Churn definition".' },
      content: { type: 'string', description: 'What to remember.' },
      summary: { type: 'string', description: 'One line that recall shows.' },
    },
    required: ['topic', 'content'],
  },
};

/** A file name without directory parts or leading dots; unsafe characters become '-'. */
export function sanitizeContextFileName(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? '';
  return base.replace(/^\.+/, '').replace(/[^A-Za-z0-9._-]/g, '-');
}

export async function runUpdateContext(input: Record<string, unknown>, contextDir: string): Promise<string> {
  const updates = Array.isArray(input.updates) ? input.updates : [];
  const actions: string[] = [];
  for (const update of updates) {
    if (typeof update !== 'object' || update === null) continue;
    const { file, content } = update as { file?: unknown; content?: unknown };
    if (typeof file !== 'string') continue;
    const name = sanitizeContextFileName(file);
    if (!name) continue;
    const target = path.join(contextDir, name);
    if (content === null || content === undefined) {
      await rm(target, { force: true });
      actions.push(`deleted ${name}`);
    } else {
      await mkdir(contextDir, { recursive: true });
      await writeFile(target, String(content));
      actions.push(`wrote ${name}`);
    }
  }
  return actions.length > 0 ? `Context updated: ${actions.join('; ')}` : 'No valid updates provided.';
}

export async function runMemorize(input: Record<string, unknown>, memory: MemoryPort): Promise<string> {
  const topic = typeof input.topic === 'string' ? input.topic.trim() : '';
  const content = typeof input.content === 'string' ? input.content.trim() : '';
  if (!topic || !content) return 'Both topic and content are required.';
  const summary = typeof input.summary === 'string' ? input.summary : content.split('\n')[0]!.slice(0, 200);
  const id = await memory.saveLearning({ topic, content, summary });
  return `Learning saved as '${id}'.`;
}
