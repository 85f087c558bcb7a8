import type { Tx } from '../db/client.js';
import { badInput, notFound } from '../errors.js';
import type { Skill, SkillVersion } from '../generated/prisma/client.js';
import { clampPageSize, decodeCursor, toPage, type Page } from '../pagination.js';
import { pyStrip } from '../python/strings.js';
import type { RunService } from '../runs/service.js';
import type { RunOrigin, TurnOutcome } from '../runs/types.js';
import type { SkillRepository } from './repository.js';
import { parseTemplate, renderTemplate } from './template.js';

export interface CreateSkillInput {
  name: string;
  description?: string | null;
  promptTemplate: string;
  metadata?: unknown;
}

/** A skill together with one of its versions. */
export interface SkillAtVersion {
  skill: Skill;
  version: SkillVersion;
}

/** A prompt rendered from a skill, ready to become a run. */
export interface RenderedSkill extends SkillAtVersion {
  params: Record<string, string>;
  prompt: string;
}

export interface RunSkillInput {
  skillId: string;
  sessionId: string;
  version?: number | null;
  params?: Record<string, string> | null;
  idempotencyKey?: string | null;
  waitForCompletion?: boolean | null;
  waitTimeoutSeconds?: number | null;
}

export interface SkillRunOutcome {
  skillId: string;
  skillVersion: number;
  renderedPrompt: string;
  turn: TurnOutcome;
}

export class SkillService {
  constructor(
    private readonly repository: SkillRepository,
    private readonly runs: RunService,
  ) {}

  /**
   * Renders the skill and sends the result as a turn (idempotency, wait and time-out as any
   * turn). Checks in the reference's order: version, skill/version, render, then session.
   */
  async run(input: RunSkillInput): Promise<SkillRunOutcome> {
    const rendered = this.render(await this.resolve(input.skillId, input.version), input.params);
    const turn = await this.runs.startTurn({
      sessionId: input.sessionId,
      message: rendered.prompt,
      idempotencyKey: input.idempotencyKey,
      waitForCompletion: input.waitForCompletion,
      waitTimeoutSeconds: input.waitTimeoutSeconds,
      origin: originOf(rendered),
    });
    return { skillId: input.skillId, skillVersion: rendered.version.version, renderedPrompt: rendered.prompt, turn };
  }

  /** Names and templates are stored trimmed (Python's `str.strip`), in the reference's check order. */
  async create(input: CreateSkillInput): Promise<Skill> {
    const name = pyStrip(input.name);
    if (name === '') throw badInput('Skill name cannot be empty.');
    const promptTemplate = checkedTemplate(input.promptTemplate);
    const { requiredParams } = parseTemplate(promptTemplate);
    const metadata = input.metadata ?? {};
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw badInput('metadata must be a JSON object.');
    return this.repository.insert({ name, description: pyStrip(input.description ?? ''), promptTemplate, requiredParams, metadata });
  }

  /** Decision 9: an unknown skill is a 404 whatever the template (the original checked the template first). */
  async addVersion(skillId: string, template: string): Promise<Skill> {
    await this.get(skillId);
    const promptTemplate = checkedTemplate(template);
    const { requiredParams } = parseTemplate(promptTemplate);
    const skill = await this.repository.addVersion(skillId, promptTemplate, requiredParams);
    if (!skill) throw notFound(`Unknown skill_id '${skillId}'.`);
    return skill;
  }

  async get(id: string): Promise<Skill> {
    const skill = await this.repository.findById(id);
    if (!skill) throw notFound(`Unknown skill_id '${id}'.`);
    return skill;
  }

  async list(first: number | null | undefined, after: string | null | undefined): Promise<Page<Skill>> {
    const size = clampPageSize(first, 200);
    return toPage(await this.repository.listPage(size, decodeCursor(after)), size);
  }

  listVersions(skillId: string): Promise<SkillVersion[]> {
    return this.repository.listVersions(skillId);
  }

  async latestVersion(skill: Skill): Promise<SkillVersion> {
    const version = await this.repository.findVersion(skill.id, skill.latestVersion);
    if (!version) throw new Error(`Skill ${skill.id} has no row for its latest version ${skill.latestVersion}.`);
    return version;
  }

  /** A skill at a version (null: the latest), with the reference's errors for runs and schedules. */
  async resolve(skillId: string, version: number | null | undefined, tx?: Tx): Promise<SkillAtVersion> {
    if (version !== null && version !== undefined && version < 1) throw badInput('Skill version must be >= 1.');
    const skill = await this.repository.findById(skillId, tx);
    // Versions are stored as 32-bit integers: a larger one cannot exist (and cannot be queried).
    const wanted = version ?? skill?.latestVersion ?? 0;
    const found = skill && wanted <= MAX_INT32 ? await this.repository.findVersion(skillId, wanted, tx) : null;
    if (!skill || !found) throw notFound(`Unknown skill_id/version combination for '${skillId}'.`);
    return { skill, version: found };
  }

  /** Renders a resolved skill; every failure is a 400 (decision 9). */
  render(resolved: SkillAtVersion, params: Record<string, string> | null | undefined): RenderedSkill {
    const given = params ?? {};
    return { ...resolved, params: given, prompt: renderTemplate(resolved.version.promptTemplate, given) };
  }
}

/** What a run records about the skill that produced its prompt. */
export function originOf(rendered: RenderedSkill, scheduleId: string | null = null): RunOrigin {
  return { skillId: rendered.skill.id, skillVersion: rendered.version.version, skillParams: rendered.params, scheduleId };
}

const MAX_INT32 = 2_147_483_647;

function checkedTemplate(template: string): string {
  const trimmed = pyStrip(template);
  if (trimmed === '') throw badInput('Skill prompt_template cannot be empty.');
  return trimmed;
}

/** Params arrive as JSON over GraphQL: they must be an object of strings (REST checks the same with a 422). */
export function paramsFrom(value: unknown): Record<string, string> | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw badInput('params must be an object whose values are strings.');
  for (const item of Object.values(value)) {
    if (typeof item !== 'string') throw badInput('params must be an object whose values are strings.');
  }
  return value as Record<string, string>;
}
