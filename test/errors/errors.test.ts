/**
 * The error hierarchy: every class has its name, a stable code and the CLI exit code,
 * and carries in fields and message the data a caller needs to act.
 */
import { describe, expect, it } from 'vitest';
import {
  AgentTeamError,
  BudgetExceededError,
  ConfigError,
  InvalidModelOutputError,
  LockTimeoutError,
  ProviderError,
  RunInterruptedError,
  StateCorruptedError,
  StateMissingError,
  StorageError,
  UsageError,
} from '../../src/errors/index.js';

const cause = new Error('underlying');

const cases: { error: AgentTeamError; name: string; code: string; exitCode: number; fields: object; message: readonly string[] }[] = [
  {
    error: new ConfigError({
      file: '/p/orchestrator-config.json',
      issues: [{ path: 'agents.1.role', message: 'unknown role "x"' }],
      hint: 'Fix it.',
    }),
    name: 'ConfigError',
    code: 'config_invalid',
    exitCode: 2,
    fields: { file: '/p/orchestrator-config.json', issues: [{ path: 'agents.1.role', message: 'unknown role "x"' }] },
    message: ['/p/orchestrator-config.json is invalid:\n  - agents.1.role: unknown role "x"\nFix it.'],
  },
  {
    error: new UsageError('Missing --feature.'),
    name: 'UsageError',
    code: 'usage',
    exitCode: 2,
    fields: {},
    message: ['Missing --feature.'],
  },
  {
    error: new StateCorruptedError({ file: '/p/state.json', problem: 'invalid JSON (Unexpected end)', cause }),
    name: 'StateCorruptedError',
    code: 'state_corrupted',
    exitCode: 4,
    fields: { file: '/p/state.json', problem: 'invalid JSON (Unexpected end)', cause },
    message: ['State file /p/state.json is corrupted: invalid JSON (Unexpected end)', 'It was left untouched', '.bak'],
  },
  {
    error: new StateMissingError({ file: '/p/state.json' }),
    name: 'StateMissingError',
    code: 'state_missing',
    exitCode: 4,
    fields: { file: '/p/state.json' },
    message: ['State file /p/state.json does not exist.', 'agent-team run --feature'],
  },
  {
    error: new StorageError({
      file: '/p/state/team.json',
      action: 'write the state file',
      cause: { code: 'ENOSPC', message: 'ENOSPC: no space left on device, write', syscall: 'write' },
      kept: 'Nothing was written.',
    }),
    name: 'StorageError',
    code: 'storage_failed',
    exitCode: 4,
    fields: {
      file: '/p/state/team.json',
      action: 'write the state file',
      errno: 'ENOSPC',
      syscall: 'write',
      problem: 'no space left on device',
    },
    message: [
      'Could not write the state file /p/state/team.json: no space left on device (ENOSPC, write).\nNothing was written.',
      'Free space on the disk that holds /p/state, then continue with `agent-team run --resume`.',
    ],
  },
  {
    error: new StorageError({
      file: '/p/state/team.json',
      action: 'lock the state file',
      cause: {
        code: 'EROFS',
        message: "EROFS: read-only file system, mkdir '/p/state/team.json.lock'",
        syscall: 'mkdir',
        path: '/p/state/team.json.lock',
      },
      kept: 'Nothing was written.',
    }),
    name: 'StorageError',
    code: 'storage_failed',
    exitCode: 4,
    fields: { errno: 'EROFS', problem: 'read-only file system' },
    message: ['/p/state/team.json: read-only file system (EROFS, mkdir /p/state/team.json.lock)', 'Make /p/state writable'],
  },
  {
    error: new StorageError({
      file: '/p/state/team.json',
      action: 'read the state file',
      cause: { code: 'EISDIR', message: 'EISDIR: illegal operation on a directory, read', syscall: 'read' },
      kept: 'Nothing was changed.',
    }),
    name: 'StorageError',
    code: 'storage_failed',
    exitCode: 4,
    fields: { errno: 'EISDIR', problem: 'is a directory' },
    message: ['/p/state/team.json: is a directory (EISDIR, read)', 'Remove the directory /p/state/team.json (or move it away), then'],
  },
  {
    // An errno this class has no words for keeps the system's own.
    error: new StorageError({
      file: '/p/ledger.jsonl',
      action: 'read the ledger',
      cause: { code: 'ENODEV', message: "ENODEV: no such device, open '/p/ledger.jsonl'", syscall: 'open', path: '/p/ledger.jsonl' },
      kept: 'Nothing was changed.',
      next: 'try again',
    }),
    name: 'StorageError',
    code: 'storage_failed',
    exitCode: 4,
    fields: { errno: 'ENODEV', problem: 'no such device' },
    message: [
      'Could not read the ledger /p/ledger.jsonl: no such device (ENODEV, open).',
      'Fix the file-system problem with /p/ledger.jsonl, then try again.',
    ],
  },
  {
    error: new LockTimeoutError({ file: '/p/state.json', waitedMs: 250, cause }),
    name: 'LockTimeoutError',
    code: 'lock_timeout',
    exitCode: 5,
    fields: { file: '/p/state.json', cause },
    message: ['Could not lock /p/state.json within 250 ms.'],
  },
  {
    error: new ProviderError({
      provider: 'anthropic',
      message: 'rate limited',
      failure: 'rate_limit',
      status: 429,
      requestId: 'req_1',
      retryable: true,
      retryAfterMs: 2000,
    }),
    name: 'ProviderError',
    code: 'provider_error',
    exitCode: 1,
    fields: { provider: 'anthropic', failure: 'rate_limit', status: 429, requestId: 'req_1', retryable: true, retryAfterMs: 2000 },
    message: ['anthropic: rate limited'],
  },
  {
    error: new ProviderError({ provider: 'openai', message: 'API key is missing.', failure: 'missing_key', exitCode: 2 }),
    name: 'ProviderError',
    code: 'provider_error',
    exitCode: 2,
    fields: { provider: 'openai', failure: 'missing_key', status: undefined, requestId: undefined, retryable: false },
    message: ['openai: API key is missing.'],
  },
  {
    error: new InvalidModelOutputError({
      agentId: 'backend-dev',
      what: 'report',
      rawOutput: '{"ok":',
      problems: ['not JSON', 'no status'],
    }),
    name: 'InvalidModelOutputError',
    code: 'model_output_invalid',
    exitCode: 1,
    fields: { agentId: 'backend-dev', rawOutput: '{"ok":', problems: ['not JSON', 'no status'] },
    message: ['backend-dev returned an invalid report twice:\n  - not JSON\n  - no status'],
  },
  {
    error: new BudgetExceededError({ runId: 'r1', limit: 'run $0.50', detail: 'the next call could cost $0.02 with $0.49 spent' }),
    name: 'BudgetExceededError',
    code: 'budget_exceeded',
    exitCode: 3,
    fields: { runId: 'r1', limit: 'run $0.50' },
    message: ['Budget exceeded (run $0.50): the next call could cost $0.02 with $0.49 spent', 'agent-team run --resume --budget-usd'],
  },
  {
    error: new RunInterruptedError('r2'),
    name: 'RunInterruptedError',
    code: 'interrupted',
    exitCode: 130,
    fields: { runId: 'r2' },
    message: ['Run r2 was interrupted.', 'agent-team run --resume'],
  },
];

describe.each(cases)('$name ($code)', ({ error, name, code, exitCode, fields, message }) => {
  it('is an AgentTeamError with its own name, a stable code and the exit code the CLI uses', () => {
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(AgentTeamError);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.exitCode).toBe(exitCode);
  });

  it('carries the data a caller needs, in its fields and its message', () => {
    expect(error).toMatchObject(fields);
    for (const part of message) expect(error.message).toContain(part);
  });
});

describe('AgentTeamError', () => {
  it('defaults to exit code 1, keeps its cause, and names a subclass after the subclass', () => {
    class ExampleError extends AgentTeamError {}
    const plain = new AgentTeamError('example', 'went wrong');
    expect(plain).toMatchObject({ name: 'AgentTeamError', code: 'example', exitCode: 1, message: 'went wrong' });
    expect(plain.cause).toBeUndefined();
    const sub = new ExampleError('example', 'went wrong', { cause, exitCode: 7 });
    expect(sub).toMatchObject({ name: 'ExampleError', exitCode: 7, cause });
  });
});
