import type { MemoryPort, Recall } from '../agent/ports.js';
import { newId } from '../ids.js';
import type { MemoryRepository } from './repository.js';
import { buildRecall, learningSlug, type RecallLimits } from './recall.js';

/** How many recent learnings recall weighs against the task. */
const LEARNINGS_CONSIDERED = 500;

export interface MemoryOptions extends RecallLimits {
  enabled: boolean;
}

export class MemoryService {
  constructor(
    private readonly repository: MemoryRepository,
    private readonly options: MemoryOptions,
  ) {}

  async recall(task: string): Promise<Recall> {
    if (!this.options.enabled) return { context: null, provenance: [] };
    const [summaries, learnings] = await Promise.all([
      this.repository.recentSummaries(Math.max(1, this.options.maxItems)),
      this.repository.recentLearnings(LEARNINGS_CONSIDERED),
    ]);
    return buildRecall(task, summaries, learnings, this.options);
  }

  async saveLearning(input: { topic: string; content: string; summary: string }): Promise<string> {
    const id = learningSlug(input.topic);
    await this.repository.saveLearning({ id, topic: input.topic.trim() || id, summary: input.summary.trim(), content: input.content });
    return id;
  }

  async saveSummary(sessionId: string, runId: string, summary: string): Promise<void> {
    await this.repository.saveSummary({ id: `summary_${newId()}`, sessionId, runId, summary });
  }

  /** The port one run's agent uses. */
  portFor(sessionId: string, runId: string): MemoryPort {
    return {
      recall: (task) => this.recall(task),
      saveLearning: (input) => this.saveLearning(input),
      saveSummary: (summary) => this.saveSummary(sessionId, runId, summary),
    };
  }
}
