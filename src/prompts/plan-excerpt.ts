/**
 * The part of a large plan the manager reads when it resolves one blocker. A blocker is about one task: the
 * tasks it builds on, the tasks that wait for it and the tasks planned next to it are what an answer, a new
 * prerequisite or a reassignment has to fit. Showing a plan of thousands of lines with every blocker would
 * make each call cost about as much as the plan (in tokens, and in the run's own time to build and count the
 * prompt) for lines the answer does not depend on; above PLAN_IN_FULL lines, the manager reads the nearest
 * PLAN_IN_FULL and a count of the rest by role.
 */

/** A task of the plan as the manager sees it when resolving. */
export interface PlanLine {
  id: string;
  title: string;
  role: string;
  dependsOn: readonly string[];
}

/** A plan up to this many lines is shown whole; a larger one, this many lines around the blocked task. */
export const PLAN_IN_FULL = 120;

/** What of the plan a blocker's request shows: lines in plan order, and how many of each role were left out. */
export interface PlanExcerpt {
  lines: readonly PlanLine[];
  /** Planned tasks not shown, by role in the order roles first appear in the plan; empty when the plan is whole. */
  omitted: readonly { role: string; count: number }[];
}

/** A plan's dependencies both ways and its roles' counts, made once for a frozen plan. */
interface PlanGraph {
  position: ReadonlyMap<string, number>;
  dependents: readonly (readonly number[])[];
  roleCounts: ReadonlyMap<string, number>;
}

const graphs = new WeakMap<readonly PlanLine[], PlanGraph>();

function graphOf(plan: readonly PlanLine[]): PlanGraph {
  const known = graphs.get(plan);
  if (known !== undefined) return known;
  const position = new Map(plan.map((line, index) => [line.id, index]));
  const dependents: number[][] = plan.map(() => []);
  const roleCounts = new Map<string, number>();
  plan.forEach((line, index) => {
    roleCounts.set(line.role, (roleCounts.get(line.role) ?? 0) + 1);
    for (const dependency of line.dependsOn) {
      const at = position.get(dependency);
      if (at !== undefined) dependents[at]?.push(index);
    }
  });
  const graph = { position, dependents, roleCounts };
  if (Object.isFrozen(plan)) graphs.set(plan, graph);
  return graph;
}

/**
 * The lines of `plan` nearest the task `taskId`, at most `limit` (the whole plan when it has no more): first the
 * task and what it depends on or what depends on it, nearest first (breadth first over dependencies both ways), then
 * the tasks planned just before and after it. A task outside the plan (a prerequisite added later) starts from the
 * tasks `near` it instead (what it depends on and what waits for it).
 */
export function planExcerpt(input: {
  plan: readonly PlanLine[];
  taskId: string;
  near?: readonly string[] | undefined;
  limit?: number | undefined;
}): PlanExcerpt {
  const { plan } = input;
  const limit = input.limit ?? PLAN_IN_FULL;
  if (plan.length <= limit) return { lines: plan, omitted: [] };
  const graph = graphOf(plan);
  const chosen = new Set<number>();
  const start = graph.position.get(input.taskId);
  const queue: number[] = [];
  const visit = (index: number | undefined): void => {
    if (index === undefined || chosen.has(index) || chosen.size >= limit) return;
    chosen.add(index);
    queue.push(index);
  };
  if (start !== undefined) visit(start);
  else for (const id of input.near ?? []) visit(graph.position.get(id));
  for (let head = 0; head < queue.length && chosen.size < limit; head += 1) {
    const index = queue[head] as number;
    for (const dependency of plan[index]?.dependsOn ?? []) visit(graph.position.get(dependency));
    for (const dependent of graph.dependents[index] ?? []) visit(dependent);
  }
  // Then its neighbours in plan order, alternately after and before it: plans list related work together.
  const anchor = start ?? queue[0] ?? 0;
  for (let distance = 1; chosen.size < limit && distance < plan.length; distance += 1) {
    if (anchor + distance < plan.length) visit(anchor + distance);
    if (anchor - distance >= 0) visit(anchor - distance);
  }
  const indexes = [...chosen].sort((a, b) => a - b);
  const shown = new Map<string, number>();
  for (const index of indexes) {
    const role = plan[index]?.role as string;
    shown.set(role, (shown.get(role) ?? 0) + 1);
  }
  const omitted = [...graph.roleCounts]
    .map(([role, count]) => ({ role, count: count - (shown.get(role) ?? 0) }))
    .filter((entry) => entry.count > 0);
  return { lines: indexes.map((index) => plan[index] as PlanLine), omitted };
}
