/**
 * Sleep until woken or until a deadline, whichever comes first. Workers and waiters use it to
 * react to signals at once while still polling now and then, so a lost signal never strands them.
 */
export class Wakeups<Key> {
  private readonly sleepers = new Map<Key, Set<() => void>>();

  sleep(key: Key, maxMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.sleepers.get(key) ?? new Set<() => void>();
      this.sleepers.set(key, set);
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.sleepers.get(key) === set) this.sleepers.delete(key);
        resolve();
      };
      const timer = setTimeout(done, maxMs);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
      if (signal?.aborted) done();
    });
  }

  wake(key: Key): void {
    const set = this.sleepers.get(key);
    if (set) for (const done of [...set]) done();
  }

  wakeAll(): void {
    for (const key of [...this.sleepers.keys()]) this.wake(key);
  }
}
