import type { ModelCaller } from './model-caller.js';
import type { RunWorkspace, TaskWorkspace } from './task-workspace.js';
import type { TeamContext } from './team-context.js';

/** Why a role agent stopped. */
export type AgentExitReason = 'run-finished' | 'interrupted' | 'max-iterations' | 'budget-exceeded' | 'stopped';

/** What the steps of one role agent's attempts share. */
export interface AgentSession {
  readonly context: TeamContext;
  readonly agentId: string;
  readonly caller: ModelCaller;
  /** Composed once: every call sends the same cacheable prefix. */
  readonly systemPrompt: string;
  readonly runId: string;
  /** The run's workspace, when tasks are worked on in git worktrees. */
  readonly workspace: RunWorkspace | undefined;
  /** Worktrees of attempts under way, so a stopped attempt can save its partial work. */
  readonly openWorktrees: Map<string, TaskWorkspace>;
  /** Aborts when the agent must stop (Ctrl-C, budget). */
  readonly stopSignal: AbortSignal;
  /** Why the agent is stopping, once it is. */
  exitReason(): AgentExitReason | undefined;
  /** Stops the agent: in-flight calls abort, unstarted work goes back. */
  stop(reason: AgentExitReason): void;
}
