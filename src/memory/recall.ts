// Recall as the reference builds it (§10.6), with stable ids (decision 14): recent session
// summaries, then learnings that share words with the task, wrapped for the model.
import type { MemoryProvenance, Recall } from '../agent/ports.js';

export interface RecallLimits {
  maxItems: number;
  maxChars: number;
}

export interface SummaryEntry {
  id: string;
  summary: string;
}

export interface LearningEntry {
  id: string;
  topic: string;
  summary: string;
  content: string;
}

const WRAP_HEADER = 'Use this as optional background context. Prefer current task evidence when conflicts exist.';

const words = (text: string): Set<string> => new Set(text.toLowerCase().split(/\s+/).filter(Boolean));
const oneLine = (text: string): string => text.replace(/\n/g, ' ').trim();

/** Learnings sharing at least one word with the task, most shared first (ties keep their order). */
export function relevantLearnings(task: string, learnings: LearningEntry[], maxItems: number): LearningEntry[] {
  const taskWords = words(task);
  return learnings
    .map((learning, index) => {
      const own = words(`${learning.summary} ${learning.topic}`);
      let shared = 0;
      for (const word of own) if (taskWords.has(word)) shared += 1;
      return { learning, index, shared };
    })
    .filter((entry) => entry.shared > 0)
    .sort((a, b) => b.shared - a.shared || a.index - b.index)
    .slice(0, maxItems)
    .map((entry) => entry.learning);
}

export function buildRecall(task: string, summaries: SummaryEntry[], learnings: LearningEntry[], limits: RecallLimits): Recall {
  const maxItems = Math.max(1, limits.maxItems);
  const maxChars = Math.max(1000, limits.maxChars);
  const lines: string[] = [];
  const provenance: MemoryProvenance[] = [];
  const recent = summaries.slice(0, maxItems);
  if (recent.length > 0) {
    lines.push('Recent session summaries:');
    for (const summary of recent) {
      const text = oneLine(summary.summary).slice(0, 500);
      if (!text) continue;
      lines.push(`- ${summary.id}: ${text}`);
      provenance.push({ kind: 'session_summary', id: summary.id });
    }
  }
  const relevant = relevantLearnings(task, learnings, maxItems);
  if (relevant.length > 0) {
    lines.push('Relevant learnings:');
    for (const learning of relevant) {
      const text = (learning.summary.trim() || oneLine(learning.content)).slice(0, 500);
      lines.push(`- ${learning.topic}: ${text}`);
      provenance.push({ kind: 'learning', id: learning.id });
    }
  }
  if (provenance.length === 0) return { context: null, provenance: [] };
  let body = lines.join('\n');
  if (body.length > maxChars) body = `${body.slice(0, maxChars)}\n... (memory context truncated)`;
  return { context: `<retrieved_memory_context>\n${WRAP_HEADER}\n${body}\n</retrieved_memory_context>`, provenance };
}

/** The reference's slug: lower case, [a-z0-9 _] only, whitespace runs to `_`, `general` if empty. */
export function learningSlug(topic: string): string {
  const slug = topic
    .toLowerCase()
    .replace(/[^a-z0-9\s_]/g, '')
    .replace(/\s+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^_+|_+$/g, '');
  return slug || 'general';
}
