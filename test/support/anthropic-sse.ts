/**
 * The Messages API wire shapes the fake server answers with: a message as JSON, the
 * same message as the real SSE event sequence, and error bodies. Kept apart from the
 * server so the shapes can be read against the API reference in one place.
 */

/** A content block of an answer, as the API sends it. */
export type WireContentBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

/** Usage as the API reports it: `input_tokens` excludes cache reads and writes. */
export interface WireUsage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  /** Of output_tokens, the thinking ones, when the model thought. */
  output_tokens_details?: { thinking_tokens: number };
}

/** Why a refusal happened, as `stop_details` carries it. */
export interface WireRefusalDetails {
  type: 'refusal';
  category: 'cyber' | 'bio' | 'frontier_llm' | 'reasoning_extraction' | 'general_harms' | null;
  explanation: string | null;
}

/** One complete model turn, rendered as JSON or as a stream. */
export interface ModelTurn {
  id: string;
  model: string;
  content: WireContentBlock[];
  stopReason: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal' | 'model_context_window_exceeded';
  stopDetails: WireRefusalDetails | null;
  usage: WireUsage;
}

// Small deltas, so the client's assembly of text and partial JSON is really exercised.
const TEXT_CHUNK = 12;
const JSON_CHUNK = 9;

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let start = 0; start < text.length; start += size) out.push(text.slice(start, start + size));
  return out;
}

function usageJson(usage: WireUsage): Record<string, unknown> {
  const cache5m = usage.cache_creation_input_tokens;
  return {
    ...usage,
    cache_creation: { ephemeral_5m_input_tokens: cache5m, ephemeral_1h_input_tokens: 0 },
    service_tier: 'standard',
  };
}

/** The body of a non-streaming `POST /v1/messages` answer. */
export function messageJson(turn: ModelTurn): Record<string, unknown> {
  return {
    id: turn.id,
    type: 'message',
    role: 'assistant',
    model: turn.model,
    content: turn.content,
    stop_reason: turn.stopReason,
    stop_sequence: null,
    stop_details: turn.stopDetails,
    usage: usageJson(turn.usage),
  };
}

/** The body of an error answer, as the API sends it with any non-2xx status. */
export function errorJson(input: { errorType: string; message: string; requestId: string }): Record<string, unknown> {
  return { type: 'error', error: { type: input.errorType, message: input.message }, request_id: input.requestId };
}

/** One SSE frame: a named event and its JSON data. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function blockFrames(block: WireContentBlock, index: number): string[] {
  if (block.type === 'text') {
    return [
      sseFrame('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
      ...chunks(block.text, TEXT_CHUNK).map((text) =>
        sseFrame('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }),
      ),
      sseFrame('content_block_stop', { type: 'content_block_stop', index }),
    ];
  }
  // Tool input arrives as partial JSON strings after a start block whose input is empty.
  return [
    sseFrame('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
    }),
    ...chunks(JSON.stringify(block.input), JSON_CHUNK).map((partial_json) =>
      sseFrame('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }),
    ),
    sseFrame('content_block_stop', { type: 'content_block_stop', index }),
  ];
}

function startFrame(turn: ModelTurn): string {
  // message_start carries the input side of usage; output so far is a token or so.
  const usage: WireUsage = { ...turn.usage, output_tokens: Math.min(1, turn.usage.output_tokens) };
  const message = { ...messageJson({ ...turn, usage }), content: [], stop_reason: null, stop_details: null };
  return sseFrame('message_start', { type: 'message_start', message });
}

/** The full SSE sequence of a streamed answer, frame by frame. */
export function sseFrames(turn: ModelTurn): string[] {
  return [
    startFrame(turn),
    sseFrame('ping', { type: 'ping' }),
    ...turn.content.flatMap((block, index) => blockFrames(block, index)),
    // message_delta's usage is cumulative: the final output count, not an increment.
    sseFrame('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: turn.stopReason, stop_sequence: null, stop_details: turn.stopDetails },
      usage: {
        output_tokens: turn.usage.output_tokens,
        ...(turn.usage.output_tokens_details === undefined ? {} : { output_tokens_details: turn.usage.output_tokens_details }),
      },
    }),
    sseFrame('message_stop', { type: 'message_stop' }),
  ];
}

/** A stream that fails after HTTP 200: the start of an answer, then an `error` event. */
export function failingSseFrames(input: { turn: ModelTurn; errorType: string; message: string }): string[] {
  const text = input.turn.content.find((block) => block.type === 'text');
  const partial = text === undefined ? '' : text.text.slice(0, Math.ceil(text.text.length / 2));
  return [
    startFrame(input.turn),
    sseFrame('ping', { type: 'ping' }),
    sseFrame('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sseFrame('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: partial } }),
    sseFrame('error', { type: 'error', error: { type: input.errorType, message: input.message } }),
  ];
}
