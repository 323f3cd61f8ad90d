import { SeededRandom } from './seeded-random.js';
import { simulateWork } from './sim-answers.js';
import type { SimScenario, SimWorkContext } from './sim-context.js';
import type { LlmRequest, ToolCall } from './types.js';

/**
 * True when the sim's first change on this task carries a hard-coded credential
 * (the configured share of tasks, drawn from the seed), until a gate's reasons come back.
 */
function withFlaw(context: SimWorkContext, scenario: SimScenario): boolean {
  if ((context.gateFeedback ?? []).length > 0) return false;
  const rate = scenario.gateFailureRate;
  return rate > 0 && SeededRandom.for(scenario.seed, 'gate-flaw', context.task.id).next() < rate;
}

/** A file the sim writes for a task: real content derived from the task, so runs make real commits. */
function fileFor(path: string, context: SimWorkContext, flawed = false): { path: string; content: string } {
  const { task } = context;
  const target = path.endsWith('/') ? `${path}README.md` : path;
  const header = `${task.id}: ${task.title}`;
  if (/\.(m?[jt]sx?)$/.test(target)) {
    const name = target.split('/').pop()?.replace(/\W+/g, '_').replace(/^(\d)/, '_$1') ?? 'part';
    const flaw = flawed ? `const apiKey = "sk-sim-${task.id.toLowerCase()}-0123456789";\nvoid apiKey;\n` : '';
    return {
      path: target,
      content: `// ${header}\n// ${task.description}\n${flaw}export const ${name} = ${JSON.stringify({ task: task.id, title: task.title })};\n`,
    };
  }
  return { path: target, content: `# ${header}\n\n${task.description}\n` };
}

/**
 * The sim's turn in a tool loop: first it writes the task's files with
 * `write_file` (one call each); once the results are back it reports done with
 * the files that were written. Deterministic: same task, same calls. With gate
 * reasons in its context it writes the files again without the flaw.
 */
export function simulateToolTurn(
  request: LlmRequest,
  context: SimWorkContext,
  scenario: SimScenario,
): { toolCalls: ToolCall[] } | { report: Record<string, unknown> } {
  const results = request.messages.filter((message) => message.role === 'tool');
  if (results.length === 0) {
    // The same share of tasks block as without tools, before they touch a file.
    const work = simulateWork(context, scenario);
    if (work['status'] === 'blocked') return { report: work };
    const flawed = withFlaw(context, scenario);
    const toolCalls = context.task.files.map((path, index) => {
      const file = fileFor(path, context, flawed);
      return { id: `sim-${context.task.id}-${index + 1}`, name: 'write_file', input: { path: file.path, content: file.content } };
    });
    if (toolCalls.length > 0) return { toolCalls };
  }
  const written = results.filter((message) => message.role === 'tool' && message.isError !== true).length;
  const filesChanged = context.task.files.slice(0, written).map((path) => fileFor(path, context).path);
  return {
    report: {
      status: 'done',
      summary: `${context.task.title}: wrote ${filesChanged.length} file(s). ${context.task.description}`,
      filesChanged,
    },
  };
}
