import { InvalidArgumentError } from 'commander';

/** The bounds and wording of a numeric option. */
export interface NumberArgumentOptions {
  kind: 'integer' | 'number';
  /** Smallest value allowed. */
  min?: number;
  /** The value must be larger than this. */
  above?: number;
  /** Named in the error: "a number of seconds > 0". */
  unit?: string;
}

/** The commander argument parser of every numeric option: the whole text must be the number (`12abc` is refused). */
export function numberArgument(options: NumberArgumentOptions): (value: string) => number {
  const noun = `${options.kind === 'integer' ? 'an integer' : 'a number'}${options.unit === undefined ? '' : ` of ${options.unit}`}`;
  const bound = options.min !== undefined ? ` >= ${options.min}` : options.above !== undefined ? ` > ${options.above}` : '';
  return (value: string): number => {
    const parsed = Number(value);
    const valid =
      value.trim() !== '' &&
      Number.isFinite(parsed) &&
      (options.kind === 'number' || Number.isInteger(parsed)) &&
      (options.min === undefined || parsed >= options.min) &&
      (options.above === undefined || parsed > options.above);
    if (!valid) throw new InvalidArgumentError(`expected ${noun}${bound}, found "${value}"`);
    return parsed;
  };
}
