import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InstallationError } from '../errors/index.js';

/** The installed package's root (holds prompts/, .ai-agents/ and the default config). */
export function packageRoot(): string {
  // src/config/ and dist/config/ are both two levels below the root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (!existsSync(join(root, 'package.json'))) {
    throw new InstallationError({
      missing: join(root, 'package.json'),
      message: `agent-team package root not found at ${root}: the installation is incomplete.`,
    });
  }
  return root;
}

/** Paths of the built-in defaults shipped with the package. */
export function builtInPaths(): { orchestratorConfig: string; agentsConfig: string; promptsDir: string } {
  const root = packageRoot();
  return {
    orchestratorConfig: join(root, 'orchestrator-config.json'),
    agentsConfig: join(root, '.ai-agents', 'config.yml'),
    promptsDir: join(root, 'prompts'),
  };
}
