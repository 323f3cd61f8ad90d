import { ContextWindowExceededError, contextEstimateOf, ESTIMATE_MARGIN } from '../../cost/index.js';
import { countTokens, type LlmRequest, type Message, type ShortenableParts, tokenCountBound } from '../../providers/index.js';

// Rounds of shortening before giving up on the entries: each round asks for more.
const ENTRY_ROUNDS = 4;
// Tokens asked for on top of the excess, for the cut markers and the note.
const ENTRY_SLACK_TOKENS = 32;
const REMOVED_TOOL_OUTPUT = "[This tool output was removed to fit the model's context window; call the tool again if you still need it.]";

/** An entry cut to about `limit` tokens: its first line, then as much of the rest as fits, and a marker. */
function cutEntry(entry: string, tokens: number, limit: number): string {
  const newline = entry.indexOf('\n');
  const first = newline === -1 ? entry : entry.slice(0, newline);
  const rest = newline === -1 ? '' : entry.slice(newline + 1);
  const keep = Math.max(0, Math.floor((rest.length * limit) / Math.max(tokens, 1)));
  const kept = rest.slice(0, keep).trimEnd();
  return `${first}\n${kept}${kept === '' ? '' : ' '}[… shortened to fit the context window: about ${limit} of ${tokens} tokens kept]`;
}

/** The largest per-entry size at which the entries sum to at most `target` tokens (entries below it stay whole). */
function waterLevel(sizes: readonly number[], target: number): number {
  const sorted = [...sizes].sort((a, b) => a - b);
  let remaining = Math.max(0, target);
  for (let index = 0; index < sorted.length; index += 1) {
    const size = sorted[index] ?? 0;
    const share = Math.floor(remaining / (sorted.length - index));
    if (size > share) return share;
    remaining -= size;
  }
  return Number.POSITIVE_INFINITY;
}

/** The request with the entries of its first user message cut down so it sheds about `excess` more tokens. */
function shortenEntries(request: LlmRequest, parts: ShortenableParts, cutBy: number): LlmRequest | null {
  const index = request.messages.findIndex(
    (message) => message.role === 'user' && parts.entries.every((entry) => message.content.includes(entry)),
  );
  const message = request.messages[index];
  if (message === undefined || message.role !== 'user' || parts.entries.length === 0) return null;
  const sizes = parts.entries.map((entry) => countTokens(entry));
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const level = waterLevel(sizes, total - cutBy - countTokens(parts.note));
  if (!Number.isFinite(level)) return null;
  let content = message.content;
  parts.entries.forEach((entry, at) => {
    const size = sizes[at] ?? 0;
    const replacement = size > level ? cutEntry(entry, size, level) : entry;
    const text = at === 0 ? `${parts.note}\n\n${replacement}` : replacement;
    content = content.replace(entry, () => text);
  });
  const messages = [...request.messages];
  messages[index] = { role: 'user', content };
  return { ...request, messages };
}

/** Older tool outputs (all but the last turn's), oldest first. */
function olderToolOutputs(messages: readonly Message[]): number[] {
  let lastAssistant = -1;
  messages.forEach((message, index) => {
    if (message.role === 'assistant') lastAssistant = index;
  });
  return messages.flatMap((message, index) =>
    message.role === 'tool' && index < lastAssistant && message.content !== REMOVED_TOOL_OUTPUT ? [index] : [],
  );
}

/**
 * At least `contextEstimateOf(request, simulated)`: the same sum with byte lengths for token
 * counts (see tokenCountBound), so a request within the window by this bound is within it by
 * the estimate, and needs no tokenizer (whose load would delay a run's first request).
 */
export function contextBoundOf(request: LlmRequest, simulated: boolean): number {
  let bound = tokenCountBound(request.system);
  for (const message of request.messages) {
    bound += tokenCountBound(message.content) + 4;
    if (message.role === 'assistant' && message.toolCalls !== undefined) bound += tokenCountBound(JSON.stringify(message.toolCalls));
  }
  if (request.tools !== undefined) bound += tokenCountBound(JSON.stringify(request.tools));
  if (request.responseJsonSchema !== undefined) bound += tokenCountBound(JSON.stringify(request.responseJsonSchema));
  return (simulated ? bound : Math.ceil(bound * ESTIMATE_MARGIN) + 64) + request.maxTokens;
}

/**
 * Makes a request fit its model's context window before anything is reserved or
 * sent: within the window it goes as it is; otherwise the dependency results of
 * the task message are shortened (longest first, down to a common length, with a
 * note saying so), then earlier tool outputs of the conversation are removed
 * (oldest first); if it still does not fit, ContextWindowExceededError. A model
 * with no known window (`window` null) is not checked.
 */
export function fitToContextWindow(input: { request: LlmRequest; window: number | null; simulated: boolean }): {
  request: LlmRequest;
  shortened: boolean;
} {
  const { shortenable, ...bare } = input.request;
  const { window, simulated } = input;
  if (window === null || contextBoundOf(bare, simulated) <= window) return { request: bare, shortened: false };
  let request: LlmRequest = bare;
  let estimate = contextEstimateOf(request, simulated);
  if (estimate <= window) return { request, shortened: false };

  if (shortenable !== undefined) {
    // The estimate scales our count by a margin for real vendors: ask for the excess in our own tokens, and more each round.
    const scale = simulated ? 1 : ESTIMATE_MARGIN;
    let cutBy = 0;
    for (let round = 0; round < ENTRY_ROUNDS && estimate > window; round += 1) {
      cutBy += Math.ceil((estimate - window) / scale) + ENTRY_SLACK_TOKENS * (round + 1);
      const cut = shortenEntries(bare, shortenable, cutBy);
      if (cut === null) break;
      request = cut;
      estimate = contextEstimateOf(request, simulated);
    }
  }
  for (const index of olderToolOutputs(request.messages)) {
    if (estimate <= window) break;
    const messages = [...request.messages];
    const message = messages[index];
    if (message?.role !== 'tool') continue;
    messages[index] = { ...message, content: REMOVED_TOOL_OUTPUT };
    request = { ...request, messages };
    estimate = contextEstimateOf(request, simulated);
  }
  if (estimate > window) {
    const { metadata } = input.request;
    throw new ContextWindowExceededError({
      agentId: metadata.agentId,
      taskId: metadata.taskId ?? null,
      model: request.model,
      estimate,
      maxTokens: request.maxTokens,
      window,
    });
  }
  return { request, shortened: true };
}
