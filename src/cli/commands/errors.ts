import { isResolved } from '../../memory/index.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import { DEFAULT_PROJECT, formatMemory, openMemoryContext } from './role-agent-setup.js';

/** Options of `agent-team errors`. */
export interface ErrorsOptions {
  project?: string | undefined;
  limit?: number | undefined;
  config?: string | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
}

/** `agent-team errors`: error memories of a project, open ones first, newest first within each group. */
export async function errors(options: ErrorsOptions): Promise<number> {
  const { store } = openMemoryContext({ cwd: options.cwd, config: options.config });
  const project = options.project ?? DEFAULT_PROJECT;
  const all = await store.search({ project, type: 'error' });
  // An error tagged `resolved` records its fix (the debug role's protocol); the rest are still open.
  const unresolved = all.filter((memory) => !isResolved(memory));
  const resolved = all.filter(isResolved);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const ordered = [...unresolved, ...resolved].slice(0, limit);
  const { terminal } = options;
  if (options.json === true) {
    printJson(
      terminal,
      ordered.map((memory) => ({ ...memory, resolved: isResolved(memory) })),
    );
    return 0;
  }
  if (all.length === 0) {
    println(terminal, `No errors in project "${project}". Test agents save failures here; debug agents save their resolutions.`);
    return 0;
  }
  const shownOpen = ordered.filter((memory) => !isResolved(memory));
  const shownResolved = ordered.filter(isResolved);
  println(terminal, paint(terminal, 'bold', `Unresolved (${unresolved.length}) in project "${project}":`));
  if (shownOpen.length === 0) println(terminal, '  none');
  for (const memory of shownOpen) println(terminal, formatMemory(terminal, memory));
  if (shownResolved.length > 0 || resolved.length > 0) {
    println(terminal, paint(terminal, 'bold', `Resolved (${resolved.length}):`));
    for (const memory of shownResolved) println(terminal, formatMemory(terminal, memory));
  }
  return 0;
}
