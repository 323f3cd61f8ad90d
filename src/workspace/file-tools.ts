/**
 * The tools an agent uses on its worktree: read, write, edit, list, search
 * and run an allowlisted command. Every path goes through `resolveInside`.
 * Failures the model can act on come back as `isError` results, not throws.
 */
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { z } from 'zod';
import type { ToolCall, ToolSpec } from '../providers/index.js';
import type { SandboxMode } from './command-sandbox.js';
import { runCommand } from './run-command.js';
import { readCapped, resolveInside, toPosix, walk, writeNoFollow } from './sandbox.js';
import { WorkspaceError } from './workspace-error.js';

// Whole-file reads for edit and search stop here; such files are not source code.
const MAX_EDIT_BYTES = 10 * 1024 * 1024;
const MAX_SEARCH_FILE_BYTES = 2 * 1024 * 1024;
const MAX_LIST_ENTRIES = 1_000;
const MAX_SEARCH_MATCHES = 200;
const MAX_MATCH_LINE_CHARS = 200;
// Room kept under the output cap for notes: a file was cut, how a command ended, what was omitted.
const NOTE_ROOM_BYTES = 300;

/** The result handed back to the model for one tool call. */
export interface ToolResult {
  content: string;
  isError: boolean;
}

/** Argv prefixes `run_command` accepts, e.g. `[["npm", "test"], ["node", "--test"]]`. */
export type CommandAllowlist = readonly (readonly string[])[];

/** Where and how tools run for one agent. */
export interface ToolSettings {
  worktree: string;
  allowlist: CommandAllowlist;
  commandTimeoutMs: number;
  /** `bwrap`: commands write only the worktree and a private /tmp, without network; `off`: unconfined. */
  sandbox: SandboxMode;
  /** Cap on what any one tool result carries, in bytes. */
  outputCapBytes: number;
  /** Aborting kills a running command (the agent was stopped or its task timed out). */
  signal?: AbortSignal | undefined;
}

const relativePath = z.string().min(1).describe('Path relative to the worktree root.');

/** A tool: its input schema, what the model is told, and how it runs on validated input. */
interface Tool {
  readonly name: string;
  readonly description: string;
  readonly schema: z.ZodType;
  execute(rawInput: unknown, settings: ToolSettings): Promise<ToolResult>;
}

function defineTool<S extends z.ZodType>(input: {
  name: string;
  description: string;
  schema: S;
  run: (data: z.infer<S>, settings: ToolSettings) => Promise<ToolResult>;
}): Tool {
  return {
    name: input.name,
    description: input.description,
    schema: input.schema,
    async execute(rawInput, settings) {
      const parsed = input.schema.safeParse(rawInput);
      if (parsed.success) return input.run(parsed.data, settings);
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.length === 0 ? '(input)' : issue.path.join('.')}: ${issue.message}`,
      );
      return failure(`Invalid input for ${input.name}: ${problems.join('; ')}.`);
    },
  };
}

const TOOL_LIST: readonly Tool[] = [
  defineTool({
    name: 'read_file',
    description: 'Read a text file of your worktree. Large files are cut, and say so.',
    schema: z.object({ path: relativePath }),
    run: readTool,
  }),
  defineTool({
    name: 'write_file',
    description: 'Create or replace a file of your worktree with the given content; parent directories are created.',
    schema: z.object({ path: relativePath, content: z.string().describe('The whole new content of the file.') }),
    run: writeTool,
  }),
  defineTool({
    name: 'edit_file',
    description: 'Replace one exact occurrence of `old` with `new` in a file of your worktree.',
    schema: z.object({
      path: relativePath,
      old: z.string().min(1).describe('Exact text to replace; it must occur exactly once in the file.'),
      new: z.string().describe('Replacement text.'),
    }),
    run: editTool,
  }),
  defineTool({
    name: 'list_files',
    description: 'List files of your worktree recursively (skips .git and node_modules).',
    schema: z.object({
      path: relativePath.optional().describe('Directory to list, relative to the worktree root; default the root.'),
      pattern: z
        .string()
        .min(1)
        .optional()
        .describe('Glob such as "*.ts" (matched against file names) or "src/**/*.test.ts" (against paths).'),
    }),
    run: listTool,
  }),
  defineTool({
    name: 'search',
    description: 'Find lines containing a plain text in files of your worktree; answers file:line: text.',
    schema: z.object({
      query: z.string().min(1).describe('Plain text to find (case-sensitive, not a regular expression).'),
      path: relativePath.optional().describe('File or directory to search; default the whole worktree.'),
    }),
    run: searchTool,
  }),
  defineTool({
    name: 'run_command',
    description: 'Run a command in your worktree (no shell). Only commands starting with an allowed prefix run.',
    schema: z.object({ command: z.array(z.string()).min(1).describe('The program and its arguments, one element each. No shell.') }),
    run: commandTool,
  }),
];
const TOOLS: ReadonlyMap<string, Tool> = new Map(TOOL_LIST.map((tool) => [tool.name, tool]));

/** Names of the workspace tools. */
export const WORKSPACE_TOOL_NAMES: readonly string[] = TOOL_LIST.map((tool) => tool.name);

/** The tool specs to offer a model; `run_command` only when some command is allowed, listing what is and where it runs. */
export function workspaceToolSpecs(input: { allowlist: CommandAllowlist; sandbox: SandboxMode }): ToolSpec[] {
  // The model should know why a write outside or a download fails, rather than retry it.
  const confined = input.sandbox === 'bwrap' ? ' Commands can write only inside the worktree and /tmp, and have no network.' : '';
  return TOOL_LIST.filter((tool) => tool.name !== 'run_command' || input.allowlist.length > 0).map((tool) => ({
    name: tool.name,
    description:
      tool.name === 'run_command' ? `${tool.description} Allowed: ${formatAllowlist(input.allowlist)}.${confined}` : tool.description,
    inputSchema: z.toJSONSchema(tool.schema, { io: 'input' }) as Record<string, unknown>,
  }));
}

/** Runs one tool call in a worktree. Throws only for bad settings (a programming error). */
export async function executeTool(input: ToolSettings & { call: ToolCall }): Promise<ToolResult> {
  checkSettings(input);
  const { call } = input;
  const tool = TOOLS.get(call.name);
  if (tool === undefined) return failure(`Unknown tool "${call.name}". Available: ${WORKSPACE_TOOL_NAMES.join(', ')}.`);
  try {
    const result = await tool.execute(parseInput(call.input), input);
    return { content: capText(result.content, input.outputCapBytes), isError: result.isError };
  } catch (error) {
    if (error instanceof WorkspaceError) return failure(error.message);
    if (isFileSystemError(error))
      return failure(describeFileSystemError(error, await realpath(input.worktree).catch(() => input.worktree)));
    throw error;
  }
}

async function readTool(input: { path: string }, settings: ToolSettings): Promise<ToolResult> {
  const file = await resolveInside(settings.worktree, input.path);
  const { bytes, size } = await readCapped(file, Math.max(1, settings.outputCapBytes - NOTE_ROOM_BYTES));
  if (isBinary(bytes)) return success(`${input.path} is a binary file (${size} bytes); it is not shown.`);
  const text = bytes.toString('utf8');
  if (size <= bytes.length) return success(text);
  return success(
    `${text}\n[truncated: ${input.path} is ${size} bytes, only the first ${bytes.length} are shown. Use search to find the lines you need.]`,
  );
}

async function writeTool(input: { path: string; content: string }, settings: ToolSettings): Promise<ToolResult> {
  const file = await resolveInside(settings.worktree, input.path);
  const existed = await lstat(file).then(
    () => true,
    () => false,
  );
  // Every missing component below the resolved parent is a plain name, so these directories are created inside.
  await mkdir(dirname(file), { recursive: true });
  await writeNoFollow(file, input.content);
  return success(`${existed ? 'Replaced' : 'Created'} ${input.path} (${Buffer.byteLength(input.content)} bytes).`);
}

async function editTool(input: { path: string; old: string; new: string }, settings: ToolSettings): Promise<ToolResult> {
  const file = await resolveInside(settings.worktree, input.path);
  const { bytes, size } = await readCapped(file, MAX_EDIT_BYTES);
  if (size > bytes.length) return failure(`${input.path} is ${size} bytes, too large to edit; write a smaller file instead.`);
  const text = bytes.toString('utf8');
  // Decoding replaces invalid bytes; writing the result back would corrupt a binary or non-UTF-8 file.
  if (isBinary(bytes) || !Buffer.from(text).equals(bytes))
    return failure(`${input.path} is not a UTF-8 text file; edit_file leaves it untouched.`);
  const first = text.indexOf(input.old);
  if (first === -1) {
    return failure(
      `The old text was not found in ${input.path} (0 occurrences). Copy it exactly from read_file, whitespace and line breaks included.`,
    );
  }
  let count = 0;
  for (let at = first; at !== -1; at = text.indexOf(input.old, at + input.old.length)) count += 1;
  if (count > 1) {
    return failure(
      `The old text occurs ${count} times in ${input.path}; it must occur exactly once. Include more surrounding lines to make it unique.`,
    );
  }
  // Slicing, not String.replace: a replacement containing "$&" or "$1" must be written as is.
  await writeNoFollow(file, text.slice(0, first) + input.new + text.slice(first + input.old.length));
  return success(`Edited ${input.path}: replaced 1 occurrence.`);
}

async function listTool(input: { path?: string | undefined; pattern?: string | undefined }, settings: ToolSettings): Promise<ToolResult> {
  const root = await resolveInside(settings.worktree, '.');
  const start = await resolveInside(settings.worktree, input.path ?? '.');
  const matches = input.pattern === undefined ? () => true : globMatcher(input.pattern);
  const found: string[] = [];
  for await (const entry of walk(root, start)) {
    if (!matches(entry.path)) continue;
    if (found.length === MAX_LIST_ENTRIES) {
      found.push(`[stopped after ${MAX_LIST_ENTRIES} entries; narrow it with path or pattern]`);
      break;
    }
    found.push(entry.symlink ? `${entry.path} (symbolic link)` : entry.path);
  }
  return success(found.length === 0 ? 'No files found.' : found.join('\n'));
}

async function searchTool(input: { query: string; path?: string | undefined }, settings: ToolSettings): Promise<ToolResult> {
  const root = await resolveInside(settings.worktree, '.');
  const start = await resolveInside(settings.worktree, input.path ?? '.');
  const lines: string[] = [];
  for await (const entry of walk(root, start)) {
    // Links are skipped: one pointing outside must not be read, one pointing inside is searched at its target.
    if (entry.symlink) continue;
    // An unreadable file (permissions, gone meanwhile) should not hide the matches in all the others.
    const read = await readCapped(join(root, entry.path), MAX_SEARCH_FILE_BYTES).catch((error: unknown) => {
      if (isFileSystemError(error)) return undefined;
      throw error;
    });
    if (read === undefined) continue;
    const { bytes, size } = read;
    if (size > bytes.length || isBinary(bytes)) continue;
    for (const [index, line] of bytes.toString('utf8').split('\n').entries()) {
      if (!line.includes(input.query)) continue;
      if (lines.length === MAX_SEARCH_MATCHES)
        return success(`${lines.join('\n')}\n[stopped after ${MAX_SEARCH_MATCHES} matches; narrow it with path]`);
      lines.push(`${entry.path}:${index + 1}: ${line.trim().slice(0, MAX_MATCH_LINE_CHARS)}`);
    }
  }
  return success(lines.length === 0 ? `No matches for "${input.query}".` : lines.join('\n'));
}

async function commandTool(input: { command: string[] }, settings: ToolSettings): Promise<ToolResult> {
  const shown = input.command.join(' ');
  const allowed = settings.allowlist.some(
    (prefix) => prefix.length <= input.command.length && prefix.every((part, index) => input.command[index] === part),
  );
  if (!allowed) {
    return failure(`Command refused: "${shown}" does not start with an allowed prefix. Allowed: ${formatAllowlist(settings.allowlist)}.`);
  }
  // The command line and the notes come first; the output gets what is left, so its end (the verdict) survives.
  const outputCapBytes = Math.max(64, settings.outputCapBytes - Buffer.byteLength(shown) - NOTE_ROOM_BYTES);
  const outcome = await runCommand({
    argv: input.command,
    cwd: settings.worktree,
    sandbox: settings.sandbox,
    timeoutMs: settings.commandTimeoutMs,
    outputCapBytes,
    signal: settings.signal,
  });
  const ending = outcome.timedOut
    ? `timed out after ${settings.commandTimeoutMs} ms; killed with its child processes`
    : outcome.exitCode === null
      ? `killed by ${outcome.signal ?? 'a signal'}`
      : `exit code ${outcome.exitCode}`;
  return { content: `$ ${shown}\n${ending}\n${outcome.output}`, isError: outcome.timedOut || outcome.exitCode !== 0 };
}

/** `*` and `?` stay within one path segment, `**` spans any; a pattern without "/" matches file names. */
function globMatcher(pattern: string): (path: string) => boolean {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] ?? '';
    if (char === '*' && pattern[index + 1] === '*') {
      index += 1;
      if (pattern[index + 1] === '/') {
        index += 1;
        source += '(?:.*/)?';
      } else source += '.*';
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(`^${source}$`);
  return pattern.includes('/') ? (path) => regex.test(path) : (path) => regex.test(basename(path));
}

function checkSettings(settings: ToolSettings): void {
  const bad = settings.allowlist.find((prefix) => prefix.length === 0 || prefix.some((part) => part === ''));
  if (bad !== undefined) {
    throw new WorkspaceError({
      code: 'workspace_invalid_allowlist',
      message: `Command allowlist entry ${JSON.stringify(bad)} is empty or has an empty part; it would allow anything.`,
    });
  }
  if (!(settings.commandTimeoutMs > 0) || !(settings.outputCapBytes > 0)) {
    throw new TypeError(
      `commandTimeoutMs and outputCapBytes must be positive, got ${settings.commandTimeoutMs} and ${settings.outputCapBytes}`,
    );
  }
}

/** Some providers hand tool input over as a JSON string. */
function parseInput(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}

function capText(text: string, capBytes: number): string {
  if (Buffer.byteLength(text) <= capBytes) return text;
  return `${Buffer.from(text).subarray(0, capBytes).toString('utf8')}\n[output cut at ${capBytes} bytes]`;
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8_000).includes(0);
}

function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === 'string' &&
    typeof (error as NodeJS.ErrnoException).syscall === 'string'
  );
}

function describeFileSystemError(error: NodeJS.ErrnoException, worktree: string): string {
  const path = error.path === undefined ? 'the path' : toPosix(relative(worktree, error.path)) || '.';
  switch (error.code) {
    case 'ENOENT':
      return `${path} does not exist. Use list_files to see what does.`;
    case 'EISDIR':
      return `${path} is a directory, not a file. Use list_files to see what it holds.`;
    case 'ENOTDIR':
      return `A part of ${path} is a file, not a directory.`;
    case 'ENOTREGULAR':
      return `${path} is not a regular file (a device, socket or pipe); it is not read.`;
    case 'ELOOP':
      return `${path} is a symbolic link; it is not followed. Use the path it points to.`;
    case 'EACCES':
    case 'EPERM':
      return `Permission denied on ${path}.`;
    default:
      return `${error.code ?? 'Error'} on ${path}: ${error.message}`;
  }
}

function formatAllowlist(allowlist: CommandAllowlist): string {
  return allowlist.length === 0 ? 'none' : allowlist.map((prefix) => prefix.join(' ')).join('; ');
}

function success(content: string): ToolResult {
  return { content, isError: false };
}

function failure(content: string): ToolResult {
  return { content, isError: true };
}
