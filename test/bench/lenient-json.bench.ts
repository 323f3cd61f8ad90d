/**
 * Reading a 2 MB model answer leniently, worst shapes first: thousands of balanced
 * spans (the candidate cap), unbalanced braces (cut off), one object needing syntax
 * repair throughout (single quotes, trailing commas, comments, Python literals), and
 * one clean object in prose. Each figure is the longest of five runs, in ms.
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { parseStructured } from '../../src/providers/structured-output.js';

const SIZE = 2_000_000;
const RUNS = 5;
const verdict = z.object({ passed: z.boolean(), reasons: z.array(z.string()).default([]) });

function repeatTo(unit: string): string {
  return unit.repeat(Math.ceil(SIZE / unit.length));
}

const SHAPES: Record<string, () => string> = {
  many_spans: () => `${repeatTo('{"passed": "no", "reasons": []} ')}{"passed": true}`,
  unbalanced_braces: () => `Here: ${repeatTo('{"a": ')}`,
  repair_throughout: () => `{'passed': False, 'reasons': [${repeatTo("'it\\'s slow', /* c */ ")} 'end',], # done\n}`,
  clean_in_prose: () => `Verdict: {"passed": true, "reasons": ${JSON.stringify(repeatTo('{ a } [').match(/.{1,60}/g))}} Hope this helps.`,
};

/** Runs the benchmark and returns its figures. */
export async function benchLenientJson(): Promise<Record<string, number>> {
  const figures: Record<string, number> = {};
  console.log(`Lenient reading of a ${SIZE / 1_000_000} MB answer (longest of ${RUNS} runs):`);
  for (const [shape, make] of Object.entries(SHAPES)) {
    const text = make();
    let longest = 0;
    let outcome = '';
    for (let run = 0; run < RUNS; run += 1) {
      const started = performance.now();
      const result = parseStructured(text, verdict);
      longest = Math.max(longest, performance.now() - started);
      outcome = result.value === undefined ? `problems: ${result.problems[0]?.slice(0, 50)}` : 'read';
    }
    figures[`lenient_json_${shape}_ms`] = Math.round(longest);
    console.log(`  ${shape} (${(text.length / 1_000_000).toFixed(1)} MB): ${longest.toFixed(0)} ms, ${outcome}`);
  }
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchLenientJson();
}
