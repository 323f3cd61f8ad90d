/**
 * Token counting: the tokenizer's load time (its first count in a fresh process), and
 * counting 200,000 repeated characters and 2 MB of random words. Start-up and the first
 * request on the wire are in start-up.bench.ts.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, ROOT } from '../support/cli.js';

const REPEATED = 200_000;

/** Times the first count and long repeated runs in a fresh process (nothing loaded before). */
function countingFigures(): { loadMs: number; loadCpuMs: number; repeated: Record<string, number>; randomMs: number } {
  const module = pathToFileURL(join(ROOT, 'dist', 'providers', 'tokenizer.js')).href;
  const script = `
    const { countTokens } = await import(${JSON.stringify(module)});
    const figures = { repeated: {} };
    let started = performance.now();
    const cpu = process.cpuUsage();
    countTokens('hello world');
    figures.loadMs = performance.now() - started;
    const used = process.cpuUsage(cpu);
    figures.loadCpuMs = (used.user + used.system) / 1000;
    for (const char of ['=', 'x', ' ']) {
      const text = char.repeat(${REPEATED});
      started = performance.now();
      countTokens(text);
      figures.repeated[char] = performance.now() - started;
    }
    let seed = 3;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/';
    let text = '';
    while (text.length < 2_000_000) {
      let word = '';
      const length = next() < 0.01 ? 600 : 1 + Math.floor(next() * 9);
      for (let index = 0; index < length; index += 1) word += letters[Math.floor(next() * 64)];
      text += word + (next() < 0.1 ? '.\\n' : ' ');
    }
    started = performance.now();
    countTokens(text);
    figures.randomMs = performance.now() - started;
    process.stdout.write(JSON.stringify(figures));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as ReturnType<
    typeof countingFigures
  >;
}

/** Runs the benchmark and returns its figures. */
export async function benchTokenizer(): Promise<Record<string, number>> {
  ensureBuilt();
  const counting = countingFigures();
  const figures = {
    tokenizer_load_ms: Math.round(counting.loadMs),
    tokenizer_load_cpu_ms: Math.round(counting.loadCpuMs),
    tokenizer_200k_equals_ms: Math.round(counting.repeated['='] ?? Number.NaN),
    tokenizer_200k_x_ms: Math.round(counting.repeated['x'] ?? Number.NaN),
    tokenizer_200k_spaces_ms: Math.round(counting.repeated[' '] ?? Number.NaN),
    tokenizer_2mb_random_ms: Math.round(counting.randomMs),
  };
  console.log('Tokenizer (o200k) in a fresh process');
  console.log(`  load (first count) ${figures.tokenizer_load_ms} ms wall, ${figures.tokenizer_load_cpu_ms} ms CPU`);
  console.log(
    `  ${REPEATED.toLocaleString('en')} repeated characters: "=" ${figures.tokenizer_200k_equals_ms} ms   "x" ${figures.tokenizer_200k_x_ms} ms   ` +
      `" " ${figures.tokenizer_200k_spaces_ms} ms   (target: well under 1000 ms)`,
  );
  console.log(`  2 MB of random words and 600-character lines ${figures.tokenizer_2mb_random_ms} ms   (target: well under 1000 ms)`);
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchTokenizer();
}
