import { execFile } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCorruptedError } from '../../src/memory/memory-errors.js';
import { MemoryStore, type MemoryRecord } from '../../src/memory/index.js';
import type { NewMemory } from '../../src/memory/memory-record.js';
import { ROOT } from '../support/cli.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { buildIfStale } from '../support/fresh-build.js';

const run = promisify(execFile);
const projects: TempProject[] = [];

afterEach(async () => {
  await Promise.all(projects.splice(0).map((project) => project.cleanup()));
});

async function newStore(): Promise<{ store: MemoryStore; project: TempProject }> {
  const project = await tempProject('agent-team-memory-');
  projects.push(project);
  // A clock that ticks one second per call keeps createdAt distinct without waiting.
  let tick = Date.parse('2025-03-01T10:00:00Z');
  return {
    store: MemoryStore.forProject(project.dir, {
      now: () => {
        tick += 1000;
        return new Date(tick);
      },
    }),
    project,
  };
}

function memory(content: string, extra: Partial<NewMemory> = {}): NewMemory {
  return { type: 'fact', content, tags: [], agent: 'agent-1', role: 'review', project: 'shop', ...extra };
}

async function seed(store: MemoryStore, memories: NewMemory[]): Promise<MemoryRecord[]> {
  const saved: MemoryRecord[] = [];
  // One append per memory, so each has its own time and place in the file.
  for (const item of memories) saved.push(...(await store.append([item])));
  return saved;
}

describe('MemoryStore append and read', () => {
  it('stores one validated JSON line per memory, with id, time, normalized tags and who saved it', async () => {
    const { store } = await newStore();
    const [saved] = await store.append([
      memory('  Sessions expire after 15 minutes.  ', {
        type: 'decision',
        tags: ['Auth', 'auth', ' session '],
        agent: 'code-1',
        role: 'code',
      }),
    ]);
    expect(saved).toMatchObject({
      type: 'decision',
      content: 'Sessions expire after 15 minutes.',
      tags: ['auth', 'session'],
      agent: 'code-1',
      role: 'code',
      project: 'shop',
    });
    expect(saved?.id).toMatch(/^m-/);
    expect(store.file.endsWith(join('.ai-agents', 'memory', 'memories.jsonl'))).toBe(true);
    const lines = (await readFile(store.file, 'utf8')).split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] ?? '')).toEqual(saved);
    expect(await store.all()).toEqual([saved]);
  });

  it('sees memories appended by another store instance (another agent) since its last read', async () => {
    const { store, project } = await newStore();
    await store.append([memory('first')]);
    expect(await store.all()).toHaveLength(1);
    await MemoryStore.forProject(project.dir).append([memory('second'), memory('third')]);
    expect((await store.all()).map((item) => item.content)).toEqual(['first', 'second', 'third']);
  });

  it('refuses an empty memory with a clear error', async () => {
    const { store } = await newStore();
    await expect(store.append([memory('   ')])).rejects.toThrow(/Memory 1 cannot be saved: content/);
  });
});

describe('MemoryStore search ranking', () => {
  it('ranks by shared words, rare words weighing more, and leaves out memories sharing none', async () => {
    const { store } = await newStore();
    await seed(store, [
      memory('The login endpoint validates the email format.'),
      memory('Session tokens expire after 15 minutes; refresh tokens are stored hashed.'),
      memory('The invoice PDF uses the company logo.'),
      memory('Login sessions are kept in Redis.'),
    ]);
    const found = await store.search({ text: 'How long do session tokens last before they expire?' });
    expect(found.map((item) => item.content)).toEqual([
      'Session tokens expire after 15 minutes; refresh tokens are stored hashed.',
      'Login sessions are kept in Redis.',
    ]);
  });

  it('weighs a query word that is a tag above the same word in prose', async () => {
    const { store } = await newStore();
    await seed(store, [
      memory('The cart mentions auth once in passing.'),
      memory('Passwords are hashed with argon2id.', { tags: ['auth'] }),
      memory('Unrelated note on billing.'),
    ]);
    const found = await store.search({ text: 'auth' });
    expect(found.map((item) => item.content)).toEqual(['Passwords are hashed with argon2id.', 'The cart mentions auth once in passing.']);
  });

  it('filters by type and boosts the type a query names', async () => {
    const { store } = await newStore();
    await seed(store, [
      memory('Login returns 500 for an unknown user.', { type: 'error' }),
      memory('Login uses bcrypt with cost 12.', { type: 'decision' }),
      memory('Checkout fails on an empty cart.', { type: 'error' }),
    ]);
    expect((await store.search({ type: 'error' })).map((item) => item.content)).toEqual([
      'Checkout fails on an empty cart.',
      'Login returns 500 for an unknown user.',
    ]);
    const ranked = await store.search({ text: 'login errors' });
    expect(ranked.map((item) => item.type)).toEqual(['error', 'decision', 'error']);
    expect(ranked[0]?.content).toBe('Login returns 500 for an unknown user.');
  });

  it('filters by tag case-insensitively and by project', async () => {
    const { store } = await newStore();
    await seed(store, [
      memory('Shop uses Stripe.', { tags: ['payments'] }),
      memory('Blog uses Stripe too.', { tags: ['payments'], project: 'blog' }),
      memory('Shop ships to the EU only.', { tags: ['shipping'] }),
    ]);
    expect((await store.search({ tag: 'PAYMENTS', project: 'shop' })).map((item) => item.content)).toEqual(['Shop uses Stripe.']);
    expect((await store.search({ text: 'stripe', project: 'blog' })).map((item) => item.content)).toEqual(['Blog uses Stripe too.']);
    expect(await store.search({ project: 'unknown' })).toEqual([]);
  });

  it('puts the newest first without text, and among equally relevant memories; limit cuts the list', async () => {
    const { store } = await newStore();
    await seed(store, [memory('cache one'), memory('cache two'), memory('cache three')]);
    expect((await store.search({})).map((item) => item.content)).toEqual(['cache three', 'cache two', 'cache one']);
    expect((await store.search({ text: 'cache', limit: 2 })).map((item) => item.content)).toEqual(['cache three', 'cache two']);
  });

  it("relevantTo gives the matches first, then the project's newest memories up to the limit", async () => {
    const { store } = await newStore();
    await seed(store, [
      memory('Orders are immutable once paid.'),
      memory('Refunds go through the payment provider.'),
      memory('Other project note about refunds.', { project: 'blog' }),
      memory('The API is versioned under /v1.'),
    ]);
    const relevant = await store.relevantTo('Implement refunds for paid orders', { project: 'shop', limit: 3 });
    expect(relevant.map((item) => item.content)).toEqual([
      'Orders are immutable once paid.',
      'Refunds go through the payment provider.',
      'The API is versioned under /v1.',
    ]);
    expect(await store.relevantTo('anything', { project: 'shop', limit: 0 })).toEqual([]);
  });
});

describe('MemoryStore file integrity', () => {
  it('skips a torn last line and cuts it off before the next append', async () => {
    const { store } = await newStore();
    await store.append([memory('kept')]);
    await appendFile(store.file, '{"id":"m-torn","type":"fa');
    expect((await store.all()).map((item) => item.content)).toEqual(['kept']);
    await store.append([memory('after the crash')]);
    const lines = (await readFile(store.file, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as MemoryRecord).content)).toEqual(['kept', 'after the crash']);
  });

  it('keeps a complete last line that lost only its newline', async () => {
    const { store, project } = await newStore();
    const [first] = await store.append([memory('complete')]);
    await writeFile(store.file, JSON.stringify(first));
    const reader = MemoryStore.forProject(project.dir);
    expect((await reader.all()).map((item) => item.content)).toEqual(['complete']);
    await store.append([memory('next')]);
    expect((await reader.all()).map((item) => item.content)).toEqual(['complete', 'next']);
  });

  it('names the file and line of a corrupt line that is not the last one', async () => {
    const { store, project } = await newStore();
    await store.append([memory('one')]);
    const reader = MemoryStore.forProject(project.dir);
    expect(await reader.all()).toHaveLength(1);
    await appendFile(store.file, 'not json at all\n');
    await store.append([memory('three')]);
    // Twice: a failed read must leave the reader's cache as it was, not half advanced.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const error = await reader.all().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(MemoryCorruptedError);
      expect((error as MemoryCorruptedError).message).toContain(`${store.file} is corrupted at line 2: expected one JSON object`);
      expect((error as MemoryCorruptedError).line).toBe(2);
    }
  });

  it('rejects a line that is JSON but not a memory, naming the field', async () => {
    const { store, project } = await newStore();
    await store.append([memory('one')]);
    await appendFile(store.file, `${JSON.stringify({ id: 'm-x', type: 'rumour', content: 'x' })}\n`);
    await expect(MemoryStore.forProject(project.dir).search({ text: 'one' })).rejects.toThrow(
      /line 2: not a valid memory \(type: expected one of fact, decision, error, doc, pattern/,
    );
  });
});

describe('MemoryStore across processes', () => {
  beforeAll(async () => {
    await buildIfStale(['src/memory', 'src/state']);
  }, 120_000);

  it('loses and interleaves nothing when several processes append at once', async () => {
    const { store, project } = await newStore();
    const workers = 4;
    const appends = 25;
    const moduleUrl = pathToFileURL(join(ROOT, 'dist', 'memory', 'index.js')).href;
    // Each append carries 1 to 3 memories, so a lost or split write would show in the count or the order.
    const script = `
      const { MemoryStore } = await import(${JSON.stringify(moduleUrl)});
      const [dir, worker, count] = process.argv.slice(1);
      const store = MemoryStore.forProject(dir);
      for (let index = 0; index < Number(count); index += 1) {
        const size = 1 + (index % 3);
        const batch = Array.from({ length: size }, (_, part) => ({
          type: 'fact', content: worker + ':' + index + ':' + part + ':' + 'x'.repeat(200),
          tags: [worker], agent: worker, role: 'custom', project: 'race',
        }));
        await store.append(batch);
      }`;
    await Promise.all(
      Array.from({ length: workers }, (_, worker) =>
        run(process.execPath, ['--input-type=module', '-e', script, project.dir, `w${worker}`, String(appends)], { cwd: ROOT }),
      ),
    );
    const all = await store.all();
    const perWorker = Array.from({ length: appends }, (_, index) => 1 + (index % 3)).reduce((sum, size) => sum + size, 0);
    expect(all).toHaveLength(workers * perWorker);
    expect(new Set(all.map((item) => item.id)).size).toBe(all.length);
    for (let worker = 0; worker < workers; worker += 1) {
      const mine = all.filter((item) => item.agent === `w${worker}`).map((item) => item.content.split(':').slice(1, 3).map(Number));
      expect(mine).toHaveLength(perWorker);
      // Each worker's memories are in the order it appended them.
      const sorted = [...mine].sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
      expect(mine).toEqual(sorted);
    }
    // A batch is one write: its parts are adjacent in the file, never split by another process's lines.
    all.forEach((item, position) => {
      const [worker, index, part] = item.content.split(':');
      if (part !== '0') expect(all[position - 1]?.content.startsWith(`${worker}:${index}:${Number(part) - 1}:`)).toBe(true);
    });
    const lines = (await readFile(store.file, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(all.length);
  }, 60_000);
});
