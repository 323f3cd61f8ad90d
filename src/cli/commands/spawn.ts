import { spawn as spawnProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../../config/index.js';
import { ProcessStartError } from '../../errors/index.js';
import { plainText } from '../../observability/index.js';
import { agentStatusFile, agentsDirOf, roleOf, runRoleTask, writeAgentStatusIfAbsent, type RoleTaskResult } from '../../solo/index.js';
import { totalTokens } from '../../providers/index.js';
import { EXIT } from '../exit-codes.js';
import { interruptSignal } from '../interrupt.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';
import {
  count,
  DEFAULT_PROJECT,
  formatMemory,
  newAgentId,
  openMemoryContext,
  recordAgentEnd,
  recordAgentStart,
  resolveAgent,
  rolePromptsDir,
} from './role-agent-setup.js';

/** Options of `agent-team spawn`. */
export interface SpawnOptions {
  role: string;
  directory: string;
  task: string;
  /** Run in the foreground and print the result; otherwise start a background process. */
  wait?: boolean | undefined;
  project?: string | undefined;
  agent?: string | undefined;
  config?: string | undefined;
  /** The agent id; a background spawn passes its own to the process it starts. */
  id?: string | undefined;
  seed?: number | undefined;
  timeScale?: number | undefined;
  json?: boolean | undefined;
  cwd: string;
  terminal: Terminal;
  /** Supplied by tests and the server; the CLI uses Ctrl-C. */
  signal?: AbortSignal | undefined;
}

/** The arguments that make the background process do the same spawn, in the foreground. */
function foregroundArgs(options: SpawnOptions, id: string, project: string): string[] {
  const args = ['spawn', options.role, options.directory, options.task, '--wait', '--id', id, '--project', project];
  if (options.agent !== undefined) args.push('--agent', options.agent);
  if (options.config !== undefined) args.push('--config', options.config);
  if (options.seed !== undefined) args.push('--seed', String(options.seed));
  if (options.timeScale !== undefined) args.push('--time-scale', String(options.timeScale));
  return args;
}

/** Starts the agent as a detached `agent-team spawn … --wait` writing to its log, and prints its id and pid. */
async function spawnInBackground(options: SpawnOptions, project: string, projectDir: string): Promise<number> {
  const id = options.id ?? newAgentId(options.role);
  const dir = agentsDirOf(projectDir);
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${id}.log`);
  const fd = openSync(log, 'a');
  let pid: number | undefined;
  try {
    const child = spawnProcess(process.execPath, [join(packageRoot(), 'bin', 'agent-team.js'), ...foregroundArgs(options, id, project)], {
      cwd: options.cwd,
      // Its own process group: closing this terminal or pressing Ctrl-C here does not stop it.
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, NO_COLOR: '1' },
    });
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  if (pid === undefined)
    throw new ProcessStartError({ command: process.execPath, message: `Could not start the background agent (see ${log}).` });
  // The agent writes its own status; this one only covers the moments before it does.
  await writeAgentStatusIfAbsent({
    projectDir,
    status: {
      version: 1,
      id,
      role: options.role,
      directory: options.directory,
      task: options.task,
      project,
      pid,
      status: 'starting',
      startedAt: new Date().toISOString(),
      endedAt: null,
      summary: null,
      saved: null,
      error: null,
      log,
    },
  });
  const { terminal } = options;
  if (options.json === true) {
    printJson(terminal, { id, pid, project, log, statusFile: agentStatusFile({ projectDir, id }) });
    return EXIT.ok;
  }
  println(
    terminal,
    `Started ${paint(terminal, 'bold', id)} (pid ${pid}): ${options.role} agent on ${options.directory}, project "${project}"`,
  );
  println(terminal, `  log     ${relative(options.cwd, log) || log}`);
  println(terminal, `  watch   agent-team monitor --project ${project}`);
  return EXIT.ok;
}

function printResult(terminal: Terminal, id: string, result: RoleTaskResult): void {
  println(terminal, paint(terminal, 'bold', `${id}: ${plainText(result.summary)}`));
  const simulated = result.simulated ? ' (simulated)' : '';
  println(
    terminal,
    `  read ${count(result.recalled.length, 'memory', 'memories')}, saved ${result.saved.length}, ` +
      `${totalTokens(result.usage)} tokens${simulated}`,
  );
  for (const memory of result.saved) println(terminal, formatMemory(terminal, memory));
}

/**
 * `agent-team spawn <role> <dir> "<task>"`: one role agent with the project's shared
 * memory. With --wait it works in the foreground; without, it starts in the background.
 */
export async function spawn(options: SpawnOptions): Promise<number> {
  const role = roleOf(options.role); // an unknown role fails here, in the foreground
  const project = options.project ?? DEFAULT_PROJECT;
  const { config, projectDir, store } = openMemoryContext({ cwd: options.cwd, config: options.config });
  const agent = resolveAgent({ config, agent: options.agent, seed: options.seed, timeScale: options.timeScale });
  if (options.wait !== true) return spawnInBackground(options, project, projectDir);

  const { terminal } = options;
  const id = options.id ?? newAgentId(role.name);
  const log = options.id === undefined ? undefined : join(agentsDirOf(projectDir), `${id}.log`);
  const status = await recordAgentStart({
    projectDir,
    id,
    role: role.name,
    directory: options.directory,
    task: options.task,
    project,
    log,
  });
  const interrupt = options.signal === undefined ? interruptSignal() : undefined;
  const signal = options.signal ?? interrupt?.signal;
  try {
    const result = await runRoleTask({
      role: role.name,
      directory: options.directory,
      task: options.task,
      project,
      agentId: id,
      provider: agent.provider,
      model: agent.model,
      promptsDir: rolePromptsDir(config),
      store,
      signal,
    });
    // The result reaches the log before the status says completed: whoever waits on the status then reads a whole log.
    if (options.json === true) printJson(terminal, { id, role: role.name, project, agent: agent.label, ...result });
    else printResult(terminal, id, result);
    await recordAgentEnd({
      projectDir,
      status,
      outcome: { status: 'completed', summary: result.summary, saved: result.saved.length },
      terminal,
    });
    return EXIT.ok;
  } catch (error) {
    const interrupted = signal?.aborted === true;
    await recordAgentEnd({
      projectDir,
      status,
      outcome: { status: interrupted ? 'cancelled' : 'failed', error: error instanceof Error ? error.message : String(error) },
      terminal,
    });
    if (interrupted) {
      terminal.err.write(`${id}: interrupted; nothing was saved.\n`);
      return EXIT.interrupted;
    }
    throw error;
  } finally {
    interrupt?.dispose();
  }
}
