// A folder of JSON records, one file per key, written atomically. Writes to the same key are
// serialised so a delete issued after a write always wins; leftover `*.tmp` files from a
// crash mid-write are ignored (and swept) on load.
import { readdir, readFile, rm, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../storage.ts';

const SAFE_KEY = /^[A-Za-z0-9_-]{1,128}$/;

export function isSafeKey(key: string): boolean {
  return SAFE_KEY.test(key);
}

export class JsonDir<T> {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(readonly dir: string) {}

  /** Every readable record; unreadable ones are renamed `*.corrupt` so they are kept but not retried. */
  async loadAll(): Promise<Array<{ key: string; value: T }>> {
    await mkdir(this.dir, { recursive: true });
    const names = await readdir(this.dir);
    const out: Array<{ key: string; value: T }> = [];
    for (const name of names) {
      const path = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        await rm(path, { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const key = name.slice(0, -'.json'.length);
      try {
        out.push({ key, value: JSON.parse(await readFile(path, 'utf8')) as T });
      } catch (e) {
        // Atomic writes make this unlikely (disk errors, hand edits); keep the bytes for inspection.
        console.warn(`ignoring unreadable ${path}: ${(e as Error).message}`);
        await rename(path, `${path}.corrupt`).catch(() => undefined);
      }
    }
    return out;
  }

  put(key: string, value: T): Promise<void> {
    return this.chain(key, () => writeFileAtomic(this.path(key), JSON.stringify(value)));
  }

  remove(key: string): Promise<void> {
    return this.chain(key, () => rm(this.path(key), { force: true }));
  }

  /** Resolves once every write issued so far has landed. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private path(key: string): string {
    if (!isSafeKey(key)) throw new Error(`unsafe record key "${key}"`);
    return join(this.dir, `${key}.json`);
  }

  private chain(key: string, op: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(op);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }
}
