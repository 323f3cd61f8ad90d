import { type DataFileError, LedgerCorruptedError } from '../errors/index.js';

/** The error for a ledger line that is not JSON: it names the file, the line and the column. */
export function ledgerSyntaxError(input: { file: string; line: number; error: DataFileError }): LedgerCorruptedError {
  const where =
    input.error.syntax === undefined ? input.error.problem : `column ${input.error.syntax.column}: ${input.error.syntax.detail}`;
  return new LedgerCorruptedError({ file: input.file, line: input.line, problem: `not valid JSON (${where})`, cause: input.error });
}
