import { AgentTeamError } from '../errors/index.js';

/** A line of the memory file, other than a torn last one, is not a valid memory. Nothing rewrites the file. */
export class MemoryCorruptedError extends AgentTeamError {
  readonly file: string;
  readonly line: number;
  readonly problem: string;

  constructor(input: { file: string; line: number; problem: string; cause?: unknown }) {
    super(
      'memory_corrupted',
      `Memory file ${input.file} is corrupted at line ${input.line}: ${input.problem}\n` +
        'It was left untouched. Fix or delete that line (each line is one JSON memory), then run again.',
      { cause: input.cause, exitCode: 4 },
    );
    this.file = input.file;
    this.line = input.line;
    this.problem = input.problem;
  }
}
