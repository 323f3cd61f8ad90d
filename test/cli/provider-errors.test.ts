import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../support/cli.js';
import { tempProject } from '../support/temp-project.js';

beforeAll(() => ensureBuilt());

describe('a real provider without its API key', () => {
  it.each([
    { provider: 'anthropic', variable: 'ANTHROPIC_API_KEY' },
    { provider: 'openai', variable: 'OPENAI_API_KEY' },
  ])('$provider: exit 2 naming $variable and suggesting --provider sim, nothing written', async ({ provider, variable }) => {
    const project = await tempProject();
    try {
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env['ANTHROPIC_API_KEY'];
      delete env['OPENAI_API_KEY'];
      delete env['OPENAI_BASE_URL'];
      const result = await runCli(['run', '--feature', 'Add login', '--provider', provider], { cwd: project.dir, env });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`API key is missing. Set ${variable} or pass --provider sim.`);
      expect(existsSync(project.path('.ai-agents'))).toBe(false);
      expect(existsSync(project.path('.agent-runs'))).toBe(false);
    } finally {
      await project.cleanup();
    }
  });
});
