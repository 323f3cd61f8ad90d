/**
 * Ranking of memories for a query: tf-idf over the words of their content,
 * extra weight when a query word is one of their tags or their type, and
 * recency to break ties. Deliberately simple: a project's memory holds
 * hundreds of short notes, not a corpus that needs an index.
 */
import { normalizeTags, type MemoryRecord, type MemoryType } from './memory-record.js';

/** What to look for; every field is optional and the filters combine. */
export interface MemoryQuery {
  /** Free text: memories sharing its words rank first; memories sharing none are left out. */
  text?: string | undefined;
  /** Only memories of this type. */
  type?: MemoryType | undefined;
  /** Only memories carrying this tag (case-insensitive). */
  tag?: string | undefined;
  /** Only memories of this project. */
  project?: string | undefined;
  /** Only memories saved by this agent. */
  agent?: string | undefined;
  /** Most results returned (default: all). */
  limit?: number | undefined;
}

/** A memory and how well it matched. */
export interface MemoryMatch {
  memory: MemoryRecord;
  /** 0 when the query had no text; higher is more relevant. */
  score: number;
}

// Words that carry no meaning on their own; matching them would rank by chance.
const STOPWORDS = new Set(
  (
    'a an and are as at be but by can do for from has have in into is it its no not of on or so than that the then there these this ' +
    'to was we were what when which will with you your all any our out use'
  ).split(' '),
);
// A query word that is a memory's tag says more than the same word in its prose.
const TAG_WEIGHT = 1.5;
// A query word naming the type ("errors") is a hint, not the subject: it stays below any shared word (idf >= ln 2).
const TYPE_BOOST = 0.5;

/** Reduces plurals so that "tests" finds "test" and "dependencies" finds "dependency". */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** Splits text into lowercase, stemmed words of two or more letters or digits, without stopwords. */
export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((word) => word.length > 1 && !STOPWORDS.has(word)).map(stem);
}

function passesFilters(memory: MemoryRecord, query: MemoryQuery, tag: string | undefined): boolean {
  return (
    (query.project === undefined || memory.project === query.project) &&
    (query.type === undefined || memory.type === query.type) &&
    (query.agent === undefined || memory.agent === query.agent) &&
    (tag === undefined || memory.tags.includes(tag))
  );
}

/** Word counts of a memory's content, and the words of its tags (`auth-module` gives auth and module). */
function wordsOf(memory: MemoryRecord): { content: Map<string, number>; tags: Set<string> } {
  const content = new Map<string, number>();
  for (const word of tokenize(memory.content)) content.set(word, (content.get(word) ?? 0) + 1);
  return { content, tags: new Set(tokenize(memory.tags.join(' '))) };
}

/**
 * Ranks `memories` (given oldest first, as stored) for `query`: most relevant
 * first, the newest first among equals. Without text, the newest come first.
 */
export function rankMemories(memories: readonly MemoryRecord[], query: MemoryQuery): MemoryMatch[] {
  const tag = query.tag === undefined ? undefined : normalizeTags([query.tag])[0];
  const candidates = memories.map((memory, index) => ({ memory, index })).filter(({ memory }) => passesFilters(memory, query, tag));
  const terms = [...new Set(tokenize(query.text ?? ''))];
  let matches: { memory: MemoryRecord; index: number; score: number }[];
  if (terms.length === 0) {
    matches = candidates.map((candidate) => ({ ...candidate, score: 0 }));
  } else {
    const words = candidates.map(({ memory }) => wordsOf(memory));
    const documentFrequency = new Map<string, number>();
    for (const term of terms) {
      documentFrequency.set(term, words.filter((entry) => entry.content.has(term) || entry.tags.has(term)).length);
    }
    // Rare words decide relevance; a word every memory has barely counts.
    const idf = (term: string): number => Math.log(1 + candidates.length / Math.max(1, documentFrequency.get(term) ?? 0));
    matches = candidates.map((candidate, position) => {
      const entry = words[position] as { content: Map<string, number>; tags: Set<string> };
      let score = 0;
      for (const term of terms) {
        const frequency = entry.content.get(term) ?? 0;
        if (frequency > 0) score += (1 + Math.log(frequency)) * idf(term);
        if (entry.tags.has(term)) score += TAG_WEIGHT * idf(term);
        if (term === candidate.memory.type) score += TYPE_BOOST;
      }
      return { ...candidate, score };
    });
    matches = matches.filter((match) => match.score > 0);
  }
  matches.sort((a, b) => b.score - a.score || b.index - a.index);
  const limited = query.limit === undefined ? matches : matches.slice(0, Math.max(0, query.limit));
  return limited.map(({ memory, score }) => ({ memory, score }));
}
