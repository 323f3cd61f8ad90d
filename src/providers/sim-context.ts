/**
 * The facts the team attaches to each call's metadata. Real providers ignore
 * them; the `sim` provider answers in role from them. The sim's own knobs are
 * not among them: they are the provider's settings (SimScenario).
 */

/** The sim's own knobs: how often it blocks, plants flaws and how big it plans. */
export interface SimScenario {
  /** Same seed, same answers. */
  seed: number;
  /** Share of plan tasks whose agent raises a blocker on the first attempt. */
  blockerRate: number;
  /** Workspace runs: share of tasks whose first change carries a flaw the security gate catches. */
  gateFailureRate: number;
  /** Plan exactly this many tasks (for load tests and benchmarks); null: the standard plan. */
  planTasks: number | null;
}

/** A role of the roster as the planner sees it. */
export interface SimRosterRole {
  role: string;
  agentIds: string[];
}

/** Context of a planning call. */
export interface SimPlanContext {
  feature: string;
  roles: SimRosterRole[];
}

/** A task as the sim sees it. */
export interface SimTask {
  id: string;
  title: string;
  description: string;
  role: string;
  files: string[];
  complexity: string;
}

/** Context of a work call. */
export interface SimWorkContext {
  task: SimTask;
  attempt: number;
  resolutions: string[];
  /** Every task id of the plan: the sim blocks the configured share of them. */
  planTaskIds: readonly string[];
  dependencyTitles: string[];
  /** Reasons a gate gave for failing this task's last change; the sim fixes it. */
  gateFeedback?: string[];
}

/** Context of a blocker resolution call. */
export interface SimResolveContext {
  blockerId: string;
  kind: 'question' | 'loop';
  question: string;
  task: SimTask;
  roles: string[];
}

/** Context of the final integration call. */
export interface SimIntegrateContext {
  feature: string;
  tasks: { id: string; title: string; status: string; summary: string | null }[];
}

/** Context of a gate's review of a task's diff. */
export interface SimGateContext {
  gate: string;
  taskId: string;
  /** The unified diff of the task branch against where it left the integration branch. */
  diff: string;
}
