/**
 * The plan as a picture: its tasks and their dependencies as a Mermaid flowchart, a Graphviz DOT graph, or an
 * SVG laid out here (dagre; in columns by depth for a large plan), each task coloured by its status and the
 * critical path marked. The critical path is the chain of dependent tasks with the most work, each task weighing
 * its complexity (simple 1, medium 2, complex 3), the weights the scheduler uses.
 */
import dagre from '@dagrejs/dagre';
import { dependencyOrder, taskLevels, type TeamState } from '../state/index.js';
import { STATUS_COLOURS, shortText, svgDocument, xmlText } from './svg-text.js';

/** The formats of `agent-team graph`. */
export const DIAGRAM_FORMATS = ['mermaid', 'dot', 'svg'] as const;
export type DiagramFormat = (typeof DIAGRAM_FORMATS)[number];

type Task = TeamState['tasks'][number];

/** The ids of the tasks on the critical path, first to last (empty for an empty plan). */
export function criticalPath(tasks: readonly Task[]): string[] {
  const lengths = taskLevels(tasks);
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const dependents = new Map<string, Task[]>();
  for (const task of tasks) for (const id of task.dependsOn) dependents.set(id, [...(dependents.get(id) ?? []), task]);
  const longest = (candidates: readonly Task[]): Task | undefined =>
    candidates.reduce<Task | undefined>(
      (best, task) => ((lengths.get(task.id) ?? 0) > (lengths.get(best?.id ?? '') ?? -1) ? task : best),
      undefined,
    );
  // Start at the heaviest task nothing known comes before, then follow the heaviest dependent.
  const path: string[] = [];
  const seen = new Set<string>();
  let current = longest(tasks.filter((task) => task.dependsOn.every((id) => !byId.has(id))));
  while (current !== undefined && !seen.has(current.id)) {
    seen.add(current.id);
    path.push(current.id);
    current = longest(dependents.get(current.id) ?? []);
  }
  return path;
}

function edges(tasks: readonly Task[]): [string, string][] {
  const ids = new Set(tasks.map((task) => task.id));
  return tasks.flatMap((task) => task.dependsOn.filter((id) => ids.has(id)).map((id): [string, string] => [id, task.id]));
}

function onPath(path: readonly string[]): (from: string, to: string) => boolean {
  const next = new Map(path.slice(0, -1).map((id, index) => [id, path[index + 1]]));
  return (from, to) => next.get(from) === to;
}

function label(task: Task): string {
  return `${task.id} · ${task.role}`;
}

/** A Mermaid flowchart (left to right): one node per task, a class per status, the critical path's edges thick. */
export function mermaidDiagram(state: TeamState): string {
  const path = criticalPath(state.tasks);
  const critical = onPath(path);
  const nodeId = (id: string): string => `t_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const quote = (text: string): string => text.replaceAll('"', '#quot;');
  const lines = ['flowchart LR'];
  for (const task of state.tasks)
    lines.push(`  ${nodeId(task.id)}["${quote(`${label(task)}<br/>${shortText(task.title, 40)}`)}"]:::${task.status}`);
  for (const [from, to] of edges(state.tasks)) lines.push(`  ${nodeId(from)} ${critical(from, to) ? '==>' : '-->'} ${nodeId(to)}`);
  for (const [status, colour] of Object.entries(STATUS_COLOURS))
    lines.push(`  classDef ${status} fill:${colour.fill},stroke:${colour.stroke}`);
  if (path.length > 0) lines.push(`  %% critical path: ${path.join(' -> ')}`);
  return `${lines.join('\n')}\n`;
}

/** A Graphviz DOT digraph (left to right): filled boxes by status, the critical path's edges bold and red. */
export function dotDiagram(state: TeamState): string {
  const path = criticalPath(state.tasks);
  const critical = onPath(path);
  const quote = (text: string): string => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replace(/\s+/g, ' ')}"`;
  const lines = ['digraph plan {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fontname="sans-serif"];'];
  for (const task of state.tasks) {
    const colour = STATUS_COLOURS[task.status] ?? STATUS_COLOURS['pending'];
    const pen = path.includes(task.id) ? ', penwidth=2' : '';
    const text = `${quote(label(task)).slice(0, -1)}\\n${quote(shortText(task.title, 40)).slice(1)}`;
    lines.push(
      `  ${quote(task.id)} [label=${text}, fillcolor=${quote(colour?.fill ?? '#ffffff')}, color=${quote(colour?.stroke ?? '#000000')}${pen}];`,
    );
  }
  for (const [from, to] of edges(state.tasks))
    lines.push(`  ${quote(from)} -> ${quote(to)}${critical(from, to) ? ' [color="#b42318", penwidth=2.5]' : ''};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const NODE_WIDTH = 200;
const NODE_HEIGHT = 52;
const NODE_GAP = 18;
const RANK_GAP = 48;
const MARGIN = 16;
// Above this many tasks the plan is drawn in columns by depth instead of by dagre, whose crossing reduction takes
// seconds to minutes on a large plan (20 s of CPU at 3,200 tasks).
const DAGRE_LIMIT = 400;

/** Where each task and each dependency is drawn: centres of the tasks, the points of the arrows, the size. */
interface PlanLayout {
  node(id: string): { x: number; y: number };
  points(from: string, to: string): { x: number; y: number }[];
  readonly width: number;
  readonly height: number;
}

function dagreLayout(tasks: readonly Task[]): PlanLayout {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: NODE_GAP, ranksep: RANK_GAP, marginx: MARGIN, marginy: MARGIN });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const task of tasks) graph.setNode(task.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const [from, to] of edges(tasks)) graph.setEdge(from, to);
  dagre.layout(graph);
  const size = graph.graph();
  return {
    node: (id) => graph.node(id),
    points: (from, to) => graph.edge(from, to)?.points ?? [],
    width: size.width ?? 0,
    height: size.height ?? 0,
  };
}

/**
 * Columns by depth, left to right: a task stands one column right of its deepest dependency, tasks of a column in
 * plan order, each arrow straight from its dependency's right side to its dependent's left. Linear in the plan.
 */
function columnLayout(tasks: readonly Task[]): PlanLayout {
  // Dependencies first (a cycle, which the scheduler would refuse, cut where it closes): each depth is known when needed.
  const depths = new Map<string, number>();
  for (const task of dependencyOrder(tasks)) {
    const before = task.dependsOn.flatMap((id) => {
      const depth = depths.get(id);
      return depth === undefined ? [] : [depth + 1];
    });
    depths.set(task.id, Math.max(0, ...before));
  }
  const centres = new Map<string, { x: number; y: number }>();
  const rows: number[] = [];
  for (const task of tasks) {
    const column = depths.get(task.id) ?? 0;
    const row = rows[column] ?? 0;
    rows[column] = row + 1;
    centres.set(task.id, {
      x: MARGIN + column * (NODE_WIDTH + RANK_GAP) + NODE_WIDTH / 2,
      y: MARGIN + row * (NODE_HEIGHT + NODE_GAP) + NODE_HEIGHT / 2,
    });
  }
  const centre = (id: string): { x: number; y: number } => centres.get(id) ?? { x: 0, y: 0 };
  return {
    node: centre,
    points: (from, to) => [
      { x: centre(from).x + NODE_WIDTH / 2, y: centre(from).y },
      { x: centre(to).x - NODE_WIDTH / 2, y: centre(to).y },
    ],
    width: 2 * MARGIN + rows.length * (NODE_WIDTH + RANK_GAP) - RANK_GAP,
    height: 2 * MARGIN + Math.max(0, ...rows) * (NODE_HEIGHT + NODE_GAP) - NODE_GAP,
  };
}

/**
 * An SVG of the plan laid out left to right (by dagre, or in columns by depth above DAGRE_LIMIT tasks); each task is a
 * `<g class="task" data-task-id data-status>`.
 */
export function svgDiagram(state: TeamState): string {
  const path = criticalPath(state.tasks);
  const critical = onPath(path);
  const layout = state.tasks.length > DAGRE_LIMIT ? columnLayout(state.tasks) : dagreLayout(state.tasks);
  const body: string[] = [
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#5b6b7c"/></marker>',
    '<marker id="arrow-critical" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#b42318"/></marker></defs>',
  ];
  for (const [from, to] of edges(state.tasks)) {
    const points = layout.points(from, to);
    const d = points.map((point, index) => `${index === 0 ? 'M' : 'L'} ${point.x.toFixed(1)} ${point.y.toFixed(1)}`).join(' ');
    const hot = critical(from, to);
    body.push(
      `<path class="dependency${hot ? ' critical' : ''}" data-from="${xmlText(from)}" data-to="${xmlText(to)}" d="${d}" fill="none" stroke="${hot ? '#b42318' : '#5b6b7c'}" stroke-width="${hot ? 2.5 : 1.2}" marker-end="url(#${hot ? 'arrow-critical' : 'arrow'})"/>`,
    );
  }
  for (const task of state.tasks) {
    const node = layout.node(task.id);
    const colour = STATUS_COLOURS[task.status] ?? { fill: '#ffffff', stroke: '#000000' };
    const x = node.x - NODE_WIDTH / 2;
    const y = node.y - NODE_HEIGHT / 2;
    const onCritical = path.includes(task.id);
    body.push(
      `<g class="task${onCritical ? ' critical' : ''}" data-task-id="${xmlText(task.id)}" data-status="${task.status}">`,
      `<title>${xmlText(`${task.id} (${task.status}): ${task.title}`)}</title>`,
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${NODE_WIDTH}" height="${NODE_HEIGHT}" rx="8" fill="${colour.fill}" stroke="${onCritical ? '#b42318' : colour.stroke}" stroke-width="${onCritical ? 2.5 : 1.2}"/>`,
      `<text x="${(x + 10).toFixed(1)}" y="${(y + 20).toFixed(1)}" font-weight="600">${xmlText(shortText(`${task.id} · ${task.role} · ${task.status}`, 30))}</text>`,
      `<text x="${(x + 10).toFixed(1)}" y="${(y + 38).toFixed(1)}" fill="#333333">${xmlText(shortText(task.title, 30))}</text>`,
      '</g>',
    );
  }
  const legend = path.length > 0 ? `critical path: ${path.join(' → ')}` : 'no tasks planned';
  const height = layout.height + 28;
  body.push(`<text x="16" y="${(height - 10).toFixed(1)}" fill="#b42318">${xmlText(shortText(legend, 160))}</text>`);
  return svgDocument({ width: Math.max(layout.width, 320), height, title: `Plan of ${shortText(state.run.feature, 80)}`, body });
}

/** The plan in `format`. */
export function planDiagram(state: TeamState, format: DiagramFormat): string {
  if (format === 'mermaid') return mermaidDiagram(state);
  if (format === 'dot') return dotDiagram(state);
  return svgDiagram(state);
}
