import { beforeAll, describe, expect, it } from 'vitest';
import { ContextWindowExceededError, contextEstimateOf } from '../../../src/cost/index.js';
import { countTokens, type LlmRequest, type Message } from '../../../src/providers/index.js';
import { fitToContextWindow } from '../../../src/team/agents/context-fit.js';

function prose(label: string, sentences: number): string {
  return Array.from(
    { length: sentences },
    (_, index) => `${label} line ${index}: the parser reads field ${index % 9} of record ${index * 7}.`,
  ).join(' ');
}

function request(messages: Message[], shortenable?: LlmRequest['shortenable']): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are the backend developer.',
    messages,
    maxTokens: 1000,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T3' },
    ...(shortenable === undefined ? {} : { shortenable }),
  };
}

describe('fitToContextWindow', () => {
  beforeAll(() => {
    countTokens('warm up');
  });

  it('sends a request that fits as it is, without its shortening hints, and checks no unknown model', () => {
    const wanted = request([{ role: 'user', content: 'Do T3.' }], { entries: [], note: 'cut' });
    expect(fitToContextWindow({ request: wanted, window: 10_000, simulated: true })).toEqual({
      request: request([{ role: 'user', content: 'Do T3.' }]),
      shortened: false,
    });
    const huge = request([{ role: 'user', content: prose('x', 2000) }]);
    expect(fitToContextWindow({ request: huge, window: null, simulated: false }).request).toEqual(huge);
  });

  it('cuts the longest dependency results first, keeping each first line, and adds the note', () => {
    const short = `### T1: Schema\n${prose('schema', 10)}`;
    const long = `### T2: Handler\n${prose('handler', 600)}`;
    const content = `# Task T3\n\n## Results\n${short}\n\n${long}\n\nAnswer.`;
    const wanted = request([{ role: 'user', content }], { entries: [short, long], note: '(Results were shortened.)' });
    const window = contextEstimateOf(request([{ role: 'user', content }]), true) - 4000;

    const { request: fitted, shortened } = fitToContextWindow({ request: wanted, window, simulated: true });

    expect(shortened).toBe(true);
    expect(contextEstimateOf(fitted, true)).toBeLessThanOrEqual(window);
    const sent = fitted.messages[0]?.content ?? '';
    expect(sent).toContain(`## Results\n(Results were shortened.)\n\n${short}\n\n### T2: Handler\nhandler line 0:`);
    expect(sent).toMatch(/\[… shortened to fit the context window: about \d+ of \d+ tokens kept\]\n\nAnswer\.$/);
  });

  it('then removes earlier tool outputs, oldest first, keeping the last turn', () => {
    const output = (name: string): Message => ({ role: 'tool', toolCallId: name, toolName: 'read_file', content: prose(name, 300) });
    const call = (name: string): Message => ({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: name, name: 'read_file', input: { path: name } }],
    });
    const messages = [
      { role: 'user', content: 'Do T3.' } as Message,
      call('a'),
      output('a'),
      call('b'),
      output('b'),
      call('c'),
      output('c'),
    ];
    const full = contextEstimateOf(request(messages), false);
    const one = countTokens(prose('a', 300));

    const { request: fitted } = fitToContextWindow({ request: request(messages), window: full - one, simulated: false });

    const contents = fitted.messages.filter((message) => message.role === 'tool').map((message) => message.content);
    expect(contents[0]).toMatch(/^\[This tool output was removed to fit the model's context window/);
    expect(contents[1]).toBe(prose('b', 300));
    expect(contents[2]).toBe(prose('c', 300));
  });

  it('refuses what still does not fit, naming agent, task, model, estimate and window', () => {
    const wanted = request([{ role: 'user', content: prose('x', 50) }]);
    expect(() => fitToContextWindow({ request: wanted, window: 900, simulated: true })).toThrow(ContextWindowExceededError);
    expect(() => fitToContextWindow({ request: wanted, window: 900, simulated: true })).toThrow(
      `The request of backend-dev on task T3 needs about ${contextEstimateOf(wanted, true)} tokens (estimated input plus max_tokens 1000), more than the 900-token context window of claude-sonnet-5`,
    );
  });
});
