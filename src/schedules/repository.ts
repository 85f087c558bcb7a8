import type { Database, Tx } from '../db/client.js';
import type { Prisma, Schedule } from '../generated/prisma/client.js';
import { afterCursorWhere, type KeysetCursor } from '../pagination.js';

export class ScheduleRepository {
  constructor(private readonly db: Database) {}

  insert(tx: Tx, data: Prisma.ScheduleUncheckedCreateInput): Promise<Schedule> {
    return tx.schedule.create({ data });
  }

  /** The schedule under its row lock, so that one transaction at a time decides its slot. */
  async lock(tx: Tx, id: string): Promise<Schedule | null> {
    const rows = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM scheduled_runs WHERE id = ${id} FOR UPDATE`;
    if (rows.length === 0) return null;
    return tx.schedule.findUnique({ where: { id } });
  }

  update(tx: Tx, id: string, data: Prisma.ScheduleUncheckedUpdateInput): Promise<Schedule> {
    return tx.schedule.update({ where: { id }, data });
  }

  findById(id: string): Promise<Schedule | null> {
    return this.db.schedule.findUnique({ where: { id } });
  }

  /** Newest first, optionally of one exact status; one row more than `size`. */
  listPage(status: string | null, size: number, after: KeysetCursor | null): Promise<Schedule[]> {
    return this.db.schedule.findMany({
      where: { ...(status === null ? {} : { status }), ...afterCursorWhere(after) },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: size + 1,
    });
  }
}
