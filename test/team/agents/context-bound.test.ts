import { describe, expect, it } from 'vitest';
import { contextEstimateOf } from '../../../src/cost/index.js';
import type { LlmRequest, Message } from '../../../src/providers/index.js';
import { contextBoundOf, fitToContextWindow } from '../../../src/team/agents/context-fit.js';

const SCHEMA = { type: 'object', properties: { summary: { type: 'string', description: 'Ce qui a été fait — en détail' } } };

function request(messages: Message[], extra: Partial<LlmRequest> = {}): LlmRequest {
  return {
    model: 'claude-sonnet-5',
    system: 'You are the backend developer. 你是后端开发者。',
    messages,
    maxTokens: 2000,
    metadata: { agentId: 'backend-dev', role: 'backend_developer', purpose: 'work', taskId: 'T3' },
    ...extra,
  };
}

const conversation: Message[] = [
  { role: 'user', content: 'Add a health endpoint. '.repeat(40) },
  {
    role: 'assistant',
    content: 'Reading the router first.',
    toolCalls: [{ id: 'call-1', name: 'read_file', input: { path: 'src/router.ts' } }],
  },
  { role: 'tool', toolCallId: 'call-1', toolName: 'read_file', content: 'export const routes = [];\n'.repeat(80) },
  { role: 'user', content: '😀 ✓ déjà vu '.repeat(60) },
];

const requests: LlmRequest[] = [
  request([{ role: 'user', content: 'Do T3.' }]),
  request(conversation),
  request(conversation, {
    tools: [{ name: 'read_file', description: 'Reads a file of the worktree.', inputSchema: { type: 'object', properties: {} } }],
    responseJsonSchema: SCHEMA,
  }),
];

describe('contextBoundOf', () => {
  it('is never below the context estimate, for real vendors (with the margin) and simulated ones', () => {
    for (const wanted of requests) {
      for (const simulated of [false, true]) {
        expect(contextBoundOf(wanted, simulated)).toBeGreaterThanOrEqual(contextEstimateOf(wanted, simulated));
      }
    }
  });

  it('decides as the estimate does around the window: within the bound, the request goes as it is; above it, the estimate decides', () => {
    const wanted = request(conversation, { responseJsonSchema: SCHEMA });
    const bound = contextBoundOf(wanted, false);
    expect(fitToContextWindow({ request: wanted, window: bound, simulated: false })).toEqual({ request: wanted, shortened: false });
    // Between the estimate and the bound the count is made, and it still fits.
    const estimate = contextEstimateOf(wanted, false);
    expect(estimate).toBeLessThan(bound);
    expect(fitToContextWindow({ request: wanted, window: estimate, simulated: false })).toEqual({ request: wanted, shortened: false });
    expect(() => fitToContextWindow({ request: wanted, window: estimate - 1, simulated: false })).toThrow(/context window/);
  });
});
