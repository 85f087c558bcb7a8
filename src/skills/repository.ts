import type { Database, Tx } from '../db/client.js';
import { isUniqueViolation } from '../db/errors.js';
import { conflict } from '../errors.js';
import type { Skill, SkillVersion } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import type { KeysetCursor } from '../pagination.js';

export interface NewSkill {
  name: string;
  description: string;
  promptTemplate: string;
  requiredParams: string[];
  metadata: object;
}

export class SkillRepository {
  constructor(private readonly db: Database) {}

  /** The skill and its version 1, together. */
  async insert(input: NewSkill): Promise<Skill> {
    try {
      return await this.db.$transaction(async (tx) => {
        // One instant for the skill and its first version (created_at = updated_at = version 1's).
        const now = new Date();
        const skill = await tx.skill.create({
          data: { id: newId(), name: input.name, description: input.description, latestVersion: 1, metadata: input.metadata, createdAt: now, updatedAt: now },
        });
        await tx.skillVersion.create({
          data: { id: newId(), skillId: skill.id, version: 1, promptTemplate: input.promptTemplate, requiredParams: input.requiredParams, createdAt: now },
        });
        return skill;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict(`Skill name '${input.name}' already exists.`);
      throw error;
    }
  }

  /**
   * Appends version latest + 1 under the skill's row lock, so concurrent additions get distinct
   * numbers. Returns null when the skill does not exist.
   */
  addVersion(skillId: string, promptTemplate: string, requiredParams: string[]): Promise<Skill | null> {
    return this.db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<Array<{ latest_version: number }>>`
        SELECT latest_version FROM skills WHERE id = ${skillId} FOR UPDATE`;
      const current = locked[0];
      if (!current) return null;
      const version = current.latest_version + 1;
      const now = new Date();
      await tx.skillVersion.create({ data: { id: newId(), skillId, version, promptTemplate, requiredParams, createdAt: now } });
      return tx.skill.update({ where: { id: skillId }, data: { latestVersion: version, updatedAt: now } });
    });
  }

  findById(id: string, tx: Tx = this.db): Promise<Skill | null> {
    return tx.skill.findUnique({ where: { id } });
  }

  findVersion(skillId: string, version: number, tx: Tx = this.db): Promise<SkillVersion | null> {
    return tx.skillVersion.findUnique({ where: { skillId_version: { skillId, version } } });
  }

  /**
   * Most recently updated first; one row more than `size`. The cursor's `createdAt` carries the
   * skill's updatedAt (see skillCursor).
   */
  listPage(size: number, after: KeysetCursor | null): Promise<Skill[]> {
    return this.db.skill.findMany({
      where: after ? { OR: [{ updatedAt: { lt: after.createdAt } }, { updatedAt: after.createdAt, id: { lt: after.id } }] } : {},
      orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
  }

  /** Newest version first. */
  listVersions(skillId: string): Promise<SkillVersion[]> {
    return this.db.skillVersion.findMany({ where: { skillId }, orderBy: { version: 'desc' } });
  }
}

/** The list position of a skill: the list is ordered by (updatedAt, id). */
export const skillCursor = (skill: Skill): KeysetCursor => ({ createdAt: skill.updatedAt, id: skill.id });
