/** One line of a JSONL ledger: parsed and checked to be an entry, or the error that says which line is bad and why. */
import { z } from 'zod';
import { type DataFileError, LedgerCorruptedError } from '../errors/index.js';
import { safeParseJsonLine, validateData } from '../files/index.js';
import { getLogger } from '../observability/index.js';

const log = getLogger('state.ledger');

const ledgerEnvelopeSchema = z.looseObject({
  type: z.string(),
  seq: z.number().int().positive(),
  at: z.string(),
});

/** What every ledger line carries, whatever its event. */
export type LedgerEnvelope = z.infer<typeof ledgerEnvelopeSchema>;

/** The error for a ledger line that is not JSON: it names the file, the line and the column. */
export function ledgerSyntaxError(input: { file: string; line: number; error: DataFileError }): LedgerCorruptedError {
  const where =
    input.error.syntax === undefined ? input.error.problem : `column ${input.error.syntax.column}: ${input.error.syntax.detail}`;
  return new LedgerCorruptedError({ file: input.file, line: input.line, problem: `not valid JSON (${where})`, cause: input.error });
}

/** A ledger line as an entry (`type`, `seq` and `at` checked), or the LedgerCorruptedError naming the file and line. */
export function parseLedgerLine(input: {
  text: string;
  file: string;
  line: number;
}): { ok: true; entry: LedgerEnvelope } | { ok: false; error: LedgerCorruptedError } {
  const json = safeParseJsonLine({ text: input.text, file: input.file, line: input.line });
  if (!json.ok) return { ok: false, error: ledgerSyntaxError({ file: input.file, line: input.line, error: json.error }) };
  const envelope = validateData({ value: json.value, where: `${input.file} line ${input.line}`, schema: ledgerEnvelopeSchema });
  if (envelope.ok) return { ok: true, entry: envelope.value };
  const problem = `not a ledger entry: ${envelope.error.problem}`;
  return { ok: false, error: new LedgerCorruptedError({ file: input.file, line: input.line, problem, cause: envelope.error }) };
}

/** The entry checked against `schema` (when given), or the LedgerCorruptedError saying which field is wrong. */
export function checkEvent(input: {
  entry: LedgerEnvelope;
  schema: z.ZodType | undefined;
  file: string;
  line: number;
}): { ok: true; entry: LedgerEnvelope } | { ok: false; error: LedgerCorruptedError } {
  if (input.schema === undefined) return { ok: true, entry: input.entry };
  const event = validateData({ value: input.entry, where: `${input.file} line ${input.line}`, schema: input.schema });
  if (event.ok) return { ok: true, entry: { ...(event.value as object), seq: input.entry.seq, at: input.entry.at } as LedgerEnvelope };
  const problem = `not a valid event: ${event.error.problem}`;
  return { ok: false, error: new LedgerCorruptedError({ file: input.file, line: input.line, problem, cause: event.error }) };
}

/**
 * A ledger line as an entry checked against `schema` (when given), or the LedgerCorruptedError naming the file and
 * line; `notAnEntry` when the line is not a ledger entry at all (a last line may be one cut short while written).
 */
export function readLedgerLine(input: {
  text: string;
  file: string;
  line: number;
  schema: z.ZodType | undefined;
}): { ok: true; entry: LedgerEnvelope } | { ok: false; error: LedgerCorruptedError; notAnEntry: boolean } {
  const parsed = parseLedgerLine(input);
  if (!parsed.ok) return { ...parsed, notAnEntry: true };
  const checked = checkEvent({ entry: parsed.entry, schema: input.schema, file: input.file, line: input.line });
  return checked.ok ? checked : { ...checked, notAnEntry: false };
}

/** Where a reader reports a line it skipped; by default a warning in the log. */
export type SkippedLineHandler = (error: LedgerCorruptedError) => void;

// Lines already reported, so that the readers of one process (the live view, then the run record) warn once per bad line.
const reported = new Set<string>();

/**
 * Reports a bad line once per process (the same file, line number and text), through
 * `onSkippedLine` or else as a warning in the log: one bad line must not stop a reader.
 */
export function reportSkippedLine(input: {
  error: LedgerCorruptedError;
  text: string;
  onSkippedLine?: SkippedLineHandler | undefined;
}): void {
  const key = `${input.error.file}\n${input.error.line}\n${input.text}`;
  if (reported.has(key)) return;
  reported.add(key);
  if (input.onSkippedLine !== undefined) input.onSkippedLine(input.error);
  else log.warn(`${input.error.message}; skipped`, { file: input.error.file, line: input.error.line });
}
