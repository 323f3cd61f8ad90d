/**
 * A provider that runs an external agent CLI (`claude -p`, `gemini -p`, `auggie -p`, …)
 * once per call. The prompt is one argv element and no shell ever runs, so nothing in
 * a prompt (quotes, `$(…)`, `;`, newlines) can be interpreted as a command. A prompt
 * too large for one argument (Linux caps one at 128 KiB) goes on stdin instead, the
 * `{prompt}` argument then saying so: the preset CLIs read a piped stdin as input.
 */
import { ProviderError, UsageError } from '../errors/index.js';
import { errorCode, type ProcessResult, runProcess } from '../files/index.js';
import { countTokens } from './tokenizer.js';
import type { LlmProvider, LlmRequest, LlmResponse, Message } from './types.js';

/** Command templates of known agent CLIs; `{prompt}` and `{model}` are filled in per call. */
export const CLI_PRESETS = {
  claude: ['claude', '-p', '{prompt}'],
  gemini: ['gemini', '-p', '{prompt}'],
  auggie: ['auggie', '-p', '{prompt}'],
} as const satisfies Record<string, readonly string[]>;

/** Settings of the CLI provider. */
export interface CliProviderSettings {
  /** Executable and arguments; one argument must contain `{prompt}`, any may contain `{model}`. */
  command: readonly string[];
  /** Model passed as `{model}` and reported in responses; defaults to the request's model. */
  model?: string;
  /** Provider name in the ledger. Default `cli`. */
  name?: string;
  /** A call running longer is killed with its whole process group. Default 10 minutes. */
  timeoutMs?: number;
  /** Working directory of the command. */
  cwd?: string;
  /** Variables added to this process's environment for the command. */
  env?: Record<string, string>;
  /** Output beyond this is refused and the command killed. Default 10 MB. */
  maxOutputBytes?: number;
  /** Time between SIGTERM and SIGKILL when a command is stopped. Default 2 s. */
  killGraceMs?: number;
  /** Prompts larger than this many UTF-8 bytes go on stdin, not in argv. Default 100 KiB (one argument may hold 128 KiB). */
  stdinAboveBytes?: number;
}

/** What `{prompt}` becomes when the prompt itself goes on stdin. */
export const STDIN_PROMPT_NOTE = 'The full prompt is on standard input: read it there and answer it.';

const DEFAULT_TIMEOUT_MS = 600_000;
const DEFAULT_MAX_OUTPUT_BYTES = 10 * 1024 * 1024;
// Below Linux's 128 KiB per argument (MAX_ARG_STRLEN), with room for the template's own text around `{prompt}`.
const DEFAULT_STDIN_ABOVE_BYTES = 100 * 1024;
// Enough of stderr to explain a failure without keeping a chatty tool's whole log.
const STDERR_KEEP_BYTES = 64 * 1024;
const STDERR_TAIL_LINES = 15;

function renderMessage(message: Message): string {
  switch (message.role) {
    case 'user':
      return `User: ${message.content}`;
    case 'assistant': {
      const calls = (message.toolCalls ?? []).map((call) => `\nTool call ${call.name}: ${JSON.stringify(call.input)}`);
      return `Assistant: ${message.content}${calls.join('')}`;
    }
    case 'tool':
      return `${message.isError === true ? 'Tool error' : 'Tool result'} (${message.toolName}): ${message.content}`;
  }
}

/** The prompt a CLI receives: the system prompt, a blank line, then the conversation as text. */
export function renderCliPrompt(request: LlmRequest): string {
  const only = request.messages.length === 1 ? request.messages[0] : undefined;
  // A lone user prompt (a batch job) goes to the agent exactly as written.
  const conversation = only?.role === 'user' ? only.content : request.messages.map(renderMessage).join('\n\n');
  const parts = [request.system, conversation].filter((part) => part !== '');
  // A CLI takes no schema parameter, so structured output can only be asked for in words.
  if (request.responseJsonSchema !== undefined) {
    parts.push(`Answer with only one JSON object that follows this JSON Schema:\n${JSON.stringify(request.responseJsonSchema)}`);
  }
  return parts.join('\n\n');
}

function fill(argument: string, values: { prompt: string; model: string }): string {
  // split/join, not String.replace: a replacement string would interpret `$&` and `$'` in the prompt.
  return argument.split('{prompt}').join(values.prompt).split('{model}').join(values.model);
}

function lastLines(text: string): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-STDERR_TAIL_LINES).join('\n');
}

/** Creates a provider that runs an agent CLI per call; its usage figures are tokenizer estimates. */
export function createCliProvider(settings: CliProviderSettings): LlmProvider {
  const name = settings.name ?? 'cli';
  const [executable, ...template] = settings.command;
  if (executable === undefined || executable === '') {
    throw new UsageError(`The cli provider needs a command, found none. Pass one like ${JSON.stringify(CLI_PRESETS.claude)}.`);
  }
  if (!template.some((argument) => argument.includes('{prompt}'))) {
    throw new UsageError(
      `The cli command ${JSON.stringify(settings.command)} has no {prompt} argument, so the prompt would never reach it. ` +
        `Add one, as in ${JSON.stringify(CLI_PRESETS.claude)}.`,
    );
  }
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxOutputBytes = settings.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const stdinAboveBytes = settings.stdinAboveBytes ?? DEFAULT_STDIN_ABOVE_BYTES;

  return {
    name,
    simulated: false,
    async complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmResponse> {
      signal?.throwIfAborted();
      const model = settings.model ?? request.model;
      const prompt = renderCliPrompt(request);
      const onStdin = Buffer.byteLength(prompt) > stdinAboveBytes;
      const args = template.map((argument) => fill(argument, { prompt: onStdin ? STDIN_PROMPT_NOTE : prompt, model }));
      const started = performance.now();
      let result: ProcessResult;
      try {
        result = await runProcess({
          argv: [executable, ...args],
          cwd: settings.cwd,
          env: settings.env === undefined ? process.env : { ...process.env, ...settings.env },
          timeoutMs,
          killGraceMs: settings.killGraceMs,
          signal,
          capture: { stdout: maxOutputBytes, stderr: STDERR_KEEP_BYTES },
          maxStdoutBytes: maxOutputBytes,
          ...(onStdin ? { stdin: prompt } : {}),
        });
      } catch (error) {
        throw spawnFailure({ name, executable, error, promptBytes: Buffer.byteLength(prompt) });
      }
      const latencyMs = Math.round(performance.now() - started);
      // Stopped because the signal aborted: its reason is what the caller expects to see.
      if (result.stopped === 'abort') signal?.throwIfAborted();
      if (result.stopped === 'timeout') {
        throw new ProviderError({
          provider: name,
          failure: 'timeout',
          retryable: false,
          message:
            `"${executable}" did not finish within ${timeoutMs} ms and was killed with its child processes. ` +
            'Raise the cli timeout if the task needs longer.',
        });
      }
      if (result.stopped === 'overflow') {
        throw new ProviderError({
          provider: name,
          failure: 'process',
          message: `"${executable}" wrote more than ${maxOutputBytes} bytes to stdout and was killed. Raise maxOutputBytes or ask for a shorter answer.`,
        });
      }
      if (result.exitCode !== 0) {
        const how = result.exitCode === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with code ${result.exitCode}`;
        const tail = lastLines(result.stderr.text);
        throw new ProviderError({
          provider: name,
          failure: 'process',
          message: `"${executable}" ${how}.${tail === '' ? ' It wrote nothing to stderr.' : `\nLast lines of its stderr:\n${tail}`}`,
        });
      }
      const text = result.stdout.text.trim();
      return {
        text,
        // A CLI reports no usage: these are o200k tokenizer counts of what went in and came out.
        usage: { inputTokens: countTokens(prompt), outputTokens: countTokens(text), cacheReadTokens: 0, cacheWriteTokens: 0 },
        model,
        stopReason: 'end',
        latencyMs,
        simulated: false,
      };
    },
  };
}

function spawnFailure(input: { name: string; executable: string; error: unknown; promptBytes: number }): ProviderError {
  const { name, executable, error, promptBytes } = input;
  const code = errorCode(error);
  if (code === 'ENOENT') {
    return new ProviderError({
      provider: name,
      failure: 'process',
      cause: error,
      message: `command "${executable}" was not found. Install it and put it on PATH, or pass --provider sim to run without it.`,
    });
  }
  if (code === 'E2BIG') {
    // Linux caps one argument at 128 KiB (MAX_ARG_STRLEN), whatever the total limit.
    return new ProviderError({
      provider: name,
      failure: 'invalid_request',
      cause: error,
      message:
        `the prompt (${promptBytes} bytes) is too long for one command-line argument of "${executable}" (Linux allows 128 KiB). ` +
        'Shorten the prompt or use an API provider.',
    });
  }
  return new ProviderError({
    provider: name,
    failure: 'process',
    cause: error,
    message: `could not start "${executable}": ${error instanceof Error ? error.message : String(error)}.`,
  });
}
