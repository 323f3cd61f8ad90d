import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { redact } from '../../observability/index.js';
import { hashParts, type LlmRequest, type LlmResponse } from '../../providers/index.js';

/** Appends every request and response of one agent to `agents/<id>.jsonl` in the run directory. */
export class Transcript {
  readonly #file: string;
  #lastSystemHash: number | undefined;
  #ready: Promise<unknown> | undefined;

  constructor(input: { runDir: string; agentId: string }) {
    this.#file = join(input.runDir, 'agents', `${input.agentId}.jsonl`);
  }

  /** Records one call; the system prompt is written in full only when it changes. */
  async record(input: {
    at: string;
    request: LlmRequest;
    response?: LlmResponse | undefined;
    costUsd?: number | undefined;
    error?: string | undefined;
  }): Promise<void> {
    this.#ready ??= mkdir(join(this.#file, '..'), { recursive: true });
    await this.#ready;
    const { request } = input;
    const systemHash = hashParts(request.system);
    const entry = {
      at: input.at,
      taskId: request.metadata.taskId ?? null,
      purpose: request.metadata.purpose,
      repair: request.metadata.repair === true,
      model: request.model,
      maxTokens: request.maxTokens,
      systemHash,
      ...(systemHash === this.#lastSystemHash ? {} : { system: request.system }),
      messages: request.messages,
      response:
        input.response === undefined
          ? null
          : {
              text: input.response.text,
              usage: input.response.usage,
              stopReason: input.response.stopReason,
              latencyMs: input.response.latencyMs,
            },
      costUsd: input.costUsd ?? null,
      error: input.error ?? null,
    };
    this.#lastSystemHash = systemHash;
    await appendFile(this.#file, `${JSON.stringify(redact(entry))}\n`);
  }
}
