import { countTokens } from '../providers/index.js';

/**
 * The integration request's size limit, in tokens. It is the largest request of a
 * run and would otherwise grow with every task; under this cap a run of any size
 * lists every task and carries the summaries that matter most.
 */
export const INTEGRATION_TOKEN_CAP = 12_000;

// With the cap reached, one summary takes at most this many tokens.
const SUMMARY_TOKEN_LIMIT = 150;
// Share of the room the one-line task list may take before its least important lines go.
const LIST_SHARE = 0.75;
// Room kept for the closing notes and the newlines between pieces.
const SLACK_TOKENS = 120;
const FILES_SHOWN = 5;

/** A task as the integration request lists it. */
export interface TaskLine {
  id: string;
  title: string;
  status: string;
  files: readonly string[];
  summary: string | null;
  /** Why the task failed or was cancelled, when it did. */
  failure: string | null;
  /**
   * How much its summary matters: `problem` (not done, blocked, failed a gate or an
   * attempt), `chain-end` (no other task builds on it), `other`.
   */
  focus: 'problem' | 'chain-end' | 'other';
}

const FOCUS_ORDER: Record<TaskLine['focus'], number> = { problem: 0, 'chain-end': 1, other: 2 };

function headLine(task: TaskLine): string {
  const shown = task.files.slice(0, FILES_SHOWN).join(', ');
  const more = task.files.length > FILES_SHOWN ? ` (+${task.files.length - FILES_SHOWN} more)` : '';
  return `- ${task.id} [${task.status}] ${task.title}${task.files.length === 0 ? '' : ` — files: ${shown}${more}`}`;
}

function resultLines(task: TaskLine): string {
  // The failure first: a cut summary keeps it.
  return [
    ...(task.failure === null ? [] : [`  Failure: ${task.failure}`]),
    ...(task.summary === null ? [] : [`  Result: ${task.summary}`]),
  ].join('\n');
}

/** Cuts a text to about `limit` tokens, saying so. */
function cutText(text: string, limit: number): string {
  const tokens = countTokens(text);
  if (tokens <= limit) return text;
  const chars = Math.floor((text.length * limit) / tokens);
  return `${text.slice(0, chars)} … [cut to ${limit} of ${tokens} tokens]`;
}

/** The tasks in the order their summaries are kept: problems, chain ends, the rest; plan order within each. */
function byImportance(tasks: readonly TaskLine[]): TaskLine[] {
  return tasks
    .map((task, index) => ({ task, index }))
    .sort((a, b) => FOCUS_ORDER[a.task.focus] - FOCUS_ORDER[b.task.focus] || a.index - b.index)
    .map(({ task }) => task);
}

function render(tasks: readonly TaskLine[], heads: ReadonlySet<TaskLine>, results: ReadonlyMap<TaskLine, string>): string {
  return tasks
    .filter((task) => heads.has(task))
    .map((task) => {
      const result = results.get(task) ?? '';
      return result === '' ? headLine(task) : `${headLine(task)}\n${result}`;
    })
    .join('\n');
}

/**
 * The task list of the integration request in `room` tokens. When everything fits,
 * every task and every summary is there; otherwise tasks keep their line (id, status,
 * title, files) as room allows, summaries are kept by importance, and a note
 * says how many were left out.
 */
function cappedTaskList(input: { tasks: readonly TaskLine[]; room: number; cap: number }): string {
  const { tasks, room } = input;
  const results = new Map(tasks.map((task) => [task, resultLines(task)]));
  const all = new Set(tasks);
  const full = render(tasks, all, results);
  if (countTokens(full) <= room) return full;

  const ordered = byImportance(tasks);
  const available = room - SLACK_TOKENS;
  const heads = new Set<TaskLine>();
  let used = 0;
  for (const task of ordered) {
    const cost = countTokens(headLine(task)) + 1;
    if (used + cost > available * LIST_SHARE) break;
    heads.add(task);
    used += cost;
  }
  const kept = new Map<TaskLine, string>();
  for (const task of ordered) {
    const text = results.get(task) ?? '';
    if (!heads.has(task) || text === '') continue;
    const cut = cutText(text, SUMMARY_TOKEN_LIMIT);
    const cost = countTokens(cut) + 1;
    if (used + cost > available) continue;
    kept.set(task, cut);
    used += cost;
  }
  const withResult = tasks.filter((task) => (results.get(task) ?? '') !== '');
  const leftOut = withResult.filter((task) => !kept.has(task)).length;
  const unlisted = tasks.length - heads.size;
  const notes = [
    ...(leftOut === 0
      ? []
      : [
          `(Results of ${leftOut} of ${withResult.length} task(s) were left out to keep this request under ${input.cap} tokens; ` +
            'failed, blocked and last-in-chain tasks were kept first.)',
        ]),
    ...(unlisted === 0 ? [] : [`(${unlisted} more task(s) are not listed; failed and blocked tasks were listed first.)`]),
  ];
  return [render(tasks, heads, kept), ...notes].join('\n');
}

/** The final integration request, at most INTEGRATION_TOKEN_CAP tokens (unless the feature text alone is longer). */
export function composeIntegrateMessage(input: { feature: string; tasks: readonly TaskLine[]; capTokens?: number }): string {
  const head = ['# Request: integrate', `## Feature\n${input.feature}`];
  const tail = 'Answer with the integration JSON object as the manager protocol says.';
  const listHeading = '## Tasks and their results';
  const fixed = countTokens([...head, listHeading, tail].join('\n\n')) + 8;
  const cap = input.capTokens ?? INTEGRATION_TOKEN_CAP;
  const list = cappedTaskList({ tasks: input.tasks, room: Math.max(0, cap - fixed), cap });
  return [...head, `${listHeading}\n${list}`, tail].join('\n\n');
}
