import { InvalidArgumentError } from 'commander';

/** The bounds and wording of a numeric option. */
export interface NumberArgumentOptions {
  kind: 'integer' | 'number';
  /** Smallest value allowed. */
  min?: number;
  /** The value must be larger than this. */
  above?: number;
  /** Largest value allowed. */
  max?: number;
  /** Named in the error: "a number of seconds > 0". */
  unit?: string;
}

/** The largest sim latency multiplier: slower than real models a hundred times over is no simulation anyone waits for. */
export const MAX_TIME_SCALE = 100;

/** The most tasks `--plan-tasks` asks the sim to plan (load tests and benchmarks). */
export const MAX_PLAN_TASKS = 10_000;

/** The longest wait a Node timer can hold (about 24.8 days, in seconds); a longer one would fire at once. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function rangeText(options: NumberArgumentOptions): string {
  const lower = options.min !== undefined ? `>= ${options.min}` : options.above !== undefined ? `> ${options.above}` : undefined;
  if (options.max === undefined) return lower === undefined ? '' : ` ${lower}`;
  if (options.min !== undefined) return ` from ${options.min} to ${options.max}`;
  return lower === undefined ? ` <= ${options.max}` : ` ${lower} and <= ${options.max}`;
}

/**
 * The commander argument parser of every numeric option: the whole text must be the
 * number (`12abc` is refused), integers must be exact (safe), and the value must be in
 * range. Commander names the option and the value; the message says what is allowed.
 */
export function numberArgument(options: NumberArgumentOptions): (value: string) => number {
  const noun = `${options.kind === 'integer' ? 'an integer' : 'a number'}${options.unit === undefined ? '' : ` of ${options.unit}`}`;
  const expected = `${noun}${rangeText(options)}`;
  return (value: string): number => {
    const parsed = Number(value);
    const valid =
      value.trim() !== '' &&
      Number.isFinite(parsed) &&
      (options.kind === 'number' || Number.isSafeInteger(parsed)) &&
      (options.min === undefined || parsed >= options.min) &&
      (options.above === undefined || parsed > options.above) &&
      (options.max === undefined || parsed <= options.max);
    if (!valid) {
      const unsafe = options.kind === 'integer' && Number.isInteger(parsed) && !Number.isSafeInteger(parsed);
      throw new InvalidArgumentError(
        `expected ${expected}, found "${value}"${unsafe ? ` (integers go up to ${Number.MAX_SAFE_INTEGER})` : ''}`,
      );
    }
    return parsed;
  };
}
