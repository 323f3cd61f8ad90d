/**
 * One attempt of one batch job: ask the agent, check the output against the
 * task's schema, and keep a tally of what every attempt cost.
 */
import { AgentTeamError, ProviderError } from '../errors/index.js';
import { costOf, priceOf, type ModelPrice } from '../cost/index.js';
import { addUsage, emptyUsage, type LlmProvider, type Usage } from '../providers/index.js';
import type { BatchTask } from './batch-tasks.js';
import { checkOutput } from './output-schema.js';

/** What a batch job runs on: the answer of the `resolveAgent` the caller passes in. */
export interface BatchAgent {
  provider: LlmProvider;
  model: string;
  label: string;
}

/** A job answered, but not in the shape its schema asks for. */
export class BatchOutputInvalidError extends AgentTeamError {
  /** The answer as the agent gave it. */
  readonly output: string;

  constructor(input: { tag: string; reason: string; output: string }) {
    super('batch_output_invalid', `Job ${input.tag}: ${input.reason}`);
    this.output = input.output;
  }
}

/** Sums over a job's attempts (tokens are spent by failed attempts too). */
export interface JobTally {
  attempts: number;
  usage: Usage;
  model: string;
  simulated: boolean;
  startedAt: Date | undefined;
}

/** An empty tally for a job about to run on `agent`. */
export function newTally(agent: BatchAgent): JobTally {
  return { attempts: 0, usage: emptyUsage(), model: agent.model, simulated: agent.provider.simulated, startedAt: undefined };
}

/** True for agents whose usage is a tokenizer estimate rather than a vendor's count. */
export function isCliAgent(agent: BatchAgent): boolean {
  // Presets and `cli:[…]` specs are labelled cli:…; a roster agent on the cli provider is not.
  return agent.label.startsWith('cli:') || agent.provider.name === 'cli';
}

/** Runs one attempt; throws on a provider failure or an output that breaks the schema. */
export async function runJobAttempt(input: { task: BatchTask; agent: BatchAgent; tally: JobTally; signal: AbortSignal }): Promise<string> {
  const { task, agent, tally, signal } = input;
  const response = await agent.provider.complete(
    {
      model: agent.model,
      system: '',
      messages: [{ role: 'user', content: task.prompt }],
      maxTokens: 4096,
      ...(task.schema === undefined ? {} : { responseJsonSchema: task.schema }),
      metadata: { agentId: task.tag, role: 'batch', purpose: 'prompt', taskId: task.tag },
    },
    signal,
  );
  tally.usage = addUsage(tally.usage, response.usage);
  tally.model = response.model;
  tally.simulated = response.simulated;
  if (task.schema !== undefined) {
    const check = checkOutput({ text: response.text, schema: task.schema });
    if (!check.ok) throw new BatchOutputInvalidError({ tag: task.tag, reason: check.reason, output: response.text });
  }
  return response.text;
}

/** The cost of a usage in USD, or null when the model has no price (a batch never stops for that). */
export function costOrNull(input: {
  usage: Usage;
  model: string;
  prices: Readonly<Record<string, ModelPrice>> | undefined;
}): number | null {
  try {
    return costOf(input.usage, input.prices === undefined ? priceOf(input.model) : priceOf(input.model, input.prices));
  } catch {
    return null;
  }
}

/** Text of an error for a job's record and .out file. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The exit code a CLI agent's failure reports, when it exited by itself. */
export function exitCodeOf(error: unknown): number | null {
  // The cli provider puts the code in its message only; read it back from there.
  if (!(error instanceof ProviderError)) return null;
  const match = /exited with code (\d+)/.exec(error.message);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** True when the provider itself stopped the call for running too long (the CLI provider's own limit). */
export function isProviderTimeout(error: unknown): boolean {
  return error instanceof ProviderError && error.failure === 'timeout';
}
