/**
 * Composing a system prompt: base, platforms in order, the team protocol, then the team
 * context; a missing prompt file is a ConfigError naming the setting that points at it.
 */
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtInPaths, loadTeamConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { composeSystemPrompt } from '../../src/prompts/index.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

const SEPARATOR = '\n\n---\n\n';

let project: TempProject;
beforeEach(async () => {
  project = await tempProject('agent-team-prompts-');
});
afterEach(async () => {
  await project.cleanup();
});

async function promptFile(path: string): Promise<string> {
  return (await readFile(join(builtInPaths().promptsDir, path), 'utf8')).trim();
}

describe('composeSystemPrompt', () => {
  it('a worker: base, its platform, the worker protocol and the team context, in that order', async () => {
    const composed = composeSystemPrompt(loadTeamConfig({ cwd: project.dir }), 'backend-dev');
    expect(composed.agentId).toBe('backend-dev');
    expect(composed.parts.map((part) => part.source)).toEqual([
      'base/software-developer.md',
      'platforms/web/backend-developer.md',
      'protocol/worker.md',
      'team context',
    ]);
    const files = await Promise.all(composed.parts.slice(0, 3).map((part) => promptFile(part.source)));
    expect(composed.parts.slice(0, 3).map((part) => part.text)).toEqual(files);
    expect(composed.text).toBe(composed.parts.map((part) => part.text).join(SEPARATOR));
    const context = composed.parts[3]?.text ?? '';
    expect(context).toContain('You are agent `backend-dev` with role `backend_developer`.');
    expect(context).toContain('The manager is `manager` (role: team_manager).');
    expect(context).toContain('- qa-tester (role: qa_tester)');
    expect(context).not.toContain('- manager (role');
  });

  it('the manager: its base and the manager protocol, never the worker protocol', async () => {
    const composed = composeSystemPrompt(loadTeamConfig({ cwd: project.dir }), 'manager');
    expect(composed.parts.map((part) => part.source)).toEqual(['base/manager.md', 'protocol/manager.md', 'team context']);
    expect(composed.text).not.toContain(await promptFile('protocol/worker.md'));
  });

  it('is the same text on every call (the cacheable prefix)', () => {
    const config = loadTeamConfig({ cwd: project.dir });
    expect(composeSystemPrompt(config, 'frontend-dev').text).toBe(composeSystemPrompt(config, 'frontend-dev').text);
  });

  it('an agent that is not in the roster: ConfigError listing the roster', () => {
    expect(() => composeSystemPrompt(loadTeamConfig({ cwd: project.dir }), 'designer')).toThrow(
      'no agent with id "designer" (roster: manager, backend-dev, frontend-dev, qa-tester, reviewer)',
    );
  });

  it.each([
    { found: 'no such file', prepare: (file: string) => rm(file) },
    { found: 'an empty file', prepare: (file: string) => writeFile(file, '  \n') },
  ])('a platform file with $found: ConfigError naming the agents config, the field and the path', async ({ found, prepare }) => {
    await cp(builtInPaths().promptsDir, project.path('prompts'), { recursive: true });
    const file = project.path('prompts', 'platforms/web/backend-developer.md');
    await prepare(file);
    const config = loadTeamConfig({ cwd: project.dir });
    let error: unknown;
    try {
      composeSystemPrompt(config, 'backend-dev');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({
      code: 'config_invalid',
      exitCode: 2,
      file: config.agentsFile,
      issues: [{ path: 'agents.backend_developer.platforms.0', message: `expected a prompt file at ${file}, found ${found}` }],
    });
    expect((error as ConfigError).message).toContain(
      `Create the file, or point agents.backend_developer.platforms.0 at an existing file under ${project.path('prompts')}.`,
    );
  });
});
