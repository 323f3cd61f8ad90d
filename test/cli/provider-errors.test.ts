import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli-in-process.js';
import { tempProject } from '../support/temp-project.js';

// The command runs in this process, so the environment it reads is this one's: take the keys away for each case.
const KEY_VARIABLES = ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL'] as const;
let saved: Partial<Record<(typeof KEY_VARIABLES)[number], string>> = {};

beforeEach(() => {
  saved = {};
  for (const name of KEY_VARIABLES) {
    const value = process.env[name];
    if (value !== undefined) saved[name] = value;
    delete process.env[name];
  }
});

afterEach(() => {
  for (const name of KEY_VARIABLES) {
    const value = saved[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('a real provider without its API key', () => {
  it.each([
    { provider: 'anthropic', variable: 'ANTHROPIC_API_KEY' },
    { provider: 'openai', variable: 'OPENAI_API_KEY' },
  ])('$provider: exit 2 naming $variable and suggesting --provider sim, nothing written', async ({ provider, variable }) => {
    const project = await tempProject();
    try {
      const result = await runCommand(['run', '--feature', 'Add login', '--provider', provider], { cwd: project.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`API key is missing. Set ${variable} or pass --provider sim.`);
      expect(existsSync(project.path('.ai-agents'))).toBe(false);
      expect(existsSync(project.path('.agent-runs'))).toBe(false);
    } finally {
      await project.cleanup();
    }
  });
});
