/** The first index of the ascending `list`, at or after `from`, whose value is at least `value` (binary search). */
export function lowerBound(list: readonly number[], value: number, from = 0): number {
  let low = from;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((list[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
