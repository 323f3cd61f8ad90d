/** The one JSON object a role agent answers with. */
import { z } from 'zod';
import { memoryTypeSchema } from '../memory/index.js';

// A model that saves more than this is dumping its notes, not choosing what matters.
const MAX_MEMORIES_PER_ANSWER = 20;

/** `{"summary": "...", "memories": [{"type", "content", "tags"}]}`. */
export const roleAnswerSchema = z.object({
  summary: z
    .string()
    .trim()
    .min(1, 'expected a non-empty summary of what you did')
    .describe('What the agent did and found, in a few sentences.'),
  memories: z
    .array(
      z.object({
        type: memoryTypeSchema.describe('fact, decision, error, doc or pattern.'),
        content: z.string().trim().min(1, 'expected the memory text').describe('One self-contained sentence or short paragraph.'),
        tags: z.array(z.string()).default([]).describe('A few lowercase keywords.'),
      }),
    )
    .max(MAX_MEMORIES_PER_ANSWER, `expected at most ${MAX_MEMORIES_PER_ANSWER} memories; keep only what later agents need`)
    .default([])
    .describe('What the agent saves to shared memory for later agents.'),
});

/** A validated answer of a role agent. */
export type RoleAnswer = z.infer<typeof roleAnswerSchema>;
