import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidModelOutputError } from '../../src/errors/index.js';
import { askStructured, type LlmRequest, type Message, type StopReason } from '../../src/providers/index.js';

const schema = z.object({ answer: z.number() });

const request: LlmRequest = {
  model: 'claude-haiku-4-5',
  system: 'Answer with JSON.',
  messages: [{ role: 'user', content: 'What is six times seven?' }],
  maxTokens: 100,
  metadata: { agentId: 'solo', role: 'developer', purpose: 'prompt' },
};

interface Scripted {
  text: string;
  stopReason: StopReason;
  messages?: Message[];
}

/** A call function answering from a list, recording every request. */
function scripted(...replies: Scripted[]): { call: (request: LlmRequest) => Promise<Scripted>; requests: LlmRequest[] } {
  const requests: LlmRequest[] = [];
  return {
    requests,
    call: async (sent) => {
      requests.push(sent);
      const reply = replies.shift();
      if (reply === undefined)
        throw new InvalidModelOutputError({ agentId: 'test', what: 'script', rawOutput: '', problems: ['no reply left'] });
      return reply;
    },
  };
}

describe('askStructured', () => {
  it('asks a truncated answer again with twice the room, up to the cap, and discards the truncated one', async () => {
    const { call, requests } = scripted({ text: '{"answ', stopReason: 'max_tokens' }, { text: '{"answer": 42}', stopReason: 'end' });
    const discarded: string[] = [];
    const result = await askStructured({
      request,
      schema,
      what: 'answer',
      call,
      discard: async (answer) => {
        discarded.push(answer.text);
      },
      maxOutputTokens: 150,
    });
    expect(result).toMatchObject({ value: { answer: 42 }, repaired: false });
    expect(result.answers).toHaveLength(2);
    expect(requests.map((sent) => sent.maxTokens)).toEqual([100, 150]);
    expect(requests[1]?.metadata.repair).toBeUndefined();
    expect(discarded).toEqual(['{"answ']);
  });

  it('without a cap a truncated answer is still asked again with twice the room, marked as raised', async () => {
    const { call, requests } = scripted({ text: '{"answ', stopReason: 'max_tokens' }, { text: '{"answer": 42}', stopReason: 'end' });
    const result = await askStructured({ request, schema, what: 'answer', call });
    expect(result.repaired).toBe(false);
    expect(requests.map((sent) => sent.maxTokens)).toEqual([100, 200]);
    expect(requests[1]?.metadata.raisedFromMaxTokens).toBe(100);
    expect(requests[1]?.metadata.repair).toBeUndefined();
  });

  it("stops at the model's known output limit, and goes to the repair request once there is no more room", async () => {
    const near = scripted({ text: '{"answ', stopReason: 'max_tokens' }, { text: '{"answer": 42}', stopReason: 'end' });
    // gpt-4o answers at most 16384 tokens, whatever the caller's cap.
    await askStructured({
      request: { ...request, model: 'gpt-4o-2024-08-06', maxTokens: 10_000 },
      schema,
      what: 'answer',
      call: near.call,
      maxOutputTokens: 64_000,
    });
    expect(near.requests.map((sent) => sent.maxTokens)).toEqual([10_000, 16_384]);

    const at = scripted({ text: '{"answ', stopReason: 'max_tokens' }, { text: '{"answer": 42}', stopReason: 'end' });
    const result = await askStructured({
      request: { ...request, model: 'gpt-4o', maxTokens: 16_384 },
      schema,
      what: 'answer',
      call: at.call,
    });
    expect(result.repaired).toBe(true);
    expect(at.requests.map((sent) => sent.maxTokens)).toEqual([16_384, 16_384]);
    expect(at.requests[1]?.metadata.repair).toBe(true);
  });

  it("builds the repair on the answer's own conversation, in the caller's wording", async () => {
    const conversation: Message[] = [...request.messages, { role: 'assistant', content: 'Let me think.' }];
    const { call, requests } = scripted(
      { text: 'forty-two', stopReason: 'end', messages: conversation },
      { text: '{"answer": 42}', stopReason: 'end' },
    );
    await askStructured({ request, schema, what: 'answer', call, wording: { rejected: 'report', expected: 'a number in JSON' } });
    const repair = requests[1];
    expect(repair?.messages.slice(0, -2)).toEqual(conversation);
    expect(repair?.messages.at(-2)).toEqual({ role: 'assistant', content: 'forty-two' });
    expect(repair?.messages.at(-1)?.content).toMatch(
      /^Your report was rejected:\n- the answer is not valid JSON[^\n]*\nAnswer again with only a number in JSON\.$/,
    );
  });

  it('gives up after the repair with the raw output, having discarded both answers', async () => {
    const { call } = scripted({ text: '{"answer": "x"}', stopReason: 'end' }, { text: '{"answer": "y"}', stopReason: 'end' });
    const discarded: string[] = [];
    const failure = askStructured({
      request,
      schema,
      what: 'answer',
      call,
      discard: async (answer) => {
        discarded.push(answer.text);
      },
    });
    await expect(failure).rejects.toMatchObject({ name: 'InvalidModelOutputError', agentId: 'solo', rawOutput: '{"answer": "y"}' });
    expect(discarded).toEqual(['{"answer": "x"}', '{"answer": "y"}']);
  });
});
