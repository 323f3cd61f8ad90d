/**
 * A list of a store's working copy that notes which of its places an update reached, so that the
 * commit compares (and checks) only those entries with their stored form instead of every entry of
 * a large run: the cost of an update follows what it touched, not the size of the plan. Each place
 * is an accessor over a plain array that holds the entries: reading or writing `list[i]` notes `i`.
 * An entry can only be changed by an update after it was reached through the list, so an entry
 * whose place was not noted is the one stored. Entries appended (push) are ordinary places after
 * the tracked ones. Code that only reads many entries (a scan for the ready tasks) reads them from
 * `plainList()`, which notes nothing; whatever it then changes it takes from the list itself.
 * Each list also keeps a log of the places the store settled (written by a commit, a catch-up or a
 * refused commit put back), so that an index of the list kept by a higher layer follows it by what
 * changed (see `settledSince`) and reads only the places noted by the group running now besides.
 */

/** A tracked list and what it noted since `clear()`. */
export interface TrackedList<T = unknown> {
  /** The array the state holds: accessors at places below `count`, plain places after. */
  readonly list: T[];
  /** The entries at the tracked places, written through the accessors. */
  readonly plain: T[];
  /** Places reached since the last `clear()`. */
  readonly touched: Set<number>;
  /** Places that are accessors (the length of the list when it was tracked or last settled). */
  count: number;
  /** Places the store settled, oldest first; `log[0]` is the `logStart`-th settled place of the list. */
  log: number[];
  logStart: number;
}

const trackedLists = new WeakMap<readonly unknown[], TrackedList>();

function track<T>(tracked: TrackedList<T>, place: number): void {
  const { plain, touched } = tracked;
  Object.defineProperty(tracked.list, place, {
    get() {
      touched.add(place);
      return plain[place];
    },
    set(value: T) {
      touched.add(place);
      plain[place] = value;
    },
    enumerable: true,
    configurable: true,
  });
}

/** A tracked list holding `entries` (taken over, not copied). */
export function trackedList<T>(entries: T[]): TrackedList<T> {
  const tracked: TrackedList<T> = { list: [], plain: entries, touched: new Set(), count: entries.length, log: [], logStart: 0 };
  for (let place = 0; place < entries.length; place += 1) track(tracked, place);
  trackedLists.set(tracked.list, tracked as TrackedList);
  return tracked;
}

/**
 * True when every tracked place is still an accessor of `tracked` (the list was not cut below
 * them, which removes the last place first) and the list is at least that long.
 */
export function trackingIntact(tracked: TrackedList): boolean {
  if (tracked.list.length < tracked.count) return false;
  if (tracked.count === 0) return true;
  const last = Object.getOwnPropertyDescriptor(tracked.list, tracked.count - 1);
  return last?.get !== undefined && last.set !== undefined;
}

/** Makes the places from `count` to the end of the list tracked places, their entries moved to `plain`. */
export function trackAppended(tracked: TrackedList): void {
  const { list, plain } = tracked;
  for (let place = tracked.count; place < list.length; place += 1) {
    plain[place] = list[place];
    track(tracked, place);
  }
  plain.length = list.length;
  tracked.count = list.length;
}

/** The tracked list behind `list`, if it is one. */
export function trackedOf<T>(list: readonly T[]): TrackedList<T> | undefined {
  return trackedLists.get(list) as TrackedList<T> | undefined;
}

/**
 * The entries of `list` as a plain array to read without noting anything: for scans over many
 * entries. Read only: an entry to change is taken from `list` itself (`list[i]`), so that the
 * store sees the change. For a list that is not tracked, the list itself.
 */
export function plainList<T>(list: readonly T[]): readonly T[] {
  const tracked = trackedLists.get(list) as TrackedList<T> | undefined;
  if (tracked === undefined) return list;
  if (!trackingIntact(tracked)) {
    // The list cut: read through the list, as it is (rare: an entry removed).
    return [...tracked.list];
  }
  if (tracked.list.length === tracked.count) return tracked.plain;
  // Entries appended (a prerequisite added): the tracked places read from the plain entries, the appended ones as they are.
  return [...tracked.plain.slice(0, tracked.count), ...tracked.list.slice(tracked.count)];
}

// The log keeps at least this many places, and at most twice the list's length past that.
const LOG_KEEP = 1024;

/** Notes that the store set `places` of the list (to their stored form): readers of `settledSince` look at them again. */
export function noteSettled(tracked: TrackedList, places: Iterable<number>): void {
  for (const place of places) tracked.log.push(place);
  const most = LOG_KEEP + 2 * tracked.count;
  if (tracked.log.length > most) {
    const dropped = tracked.log.length - Math.floor(most / 2);
    tracked.log.splice(0, dropped);
    tracked.logStart += dropped;
  }
}

/**
 * The places of a tracked list the store settled since `cursor` (a value this function returned
 * before; 0 for all since the list was tracked), and the cursor to ask from next. Undefined when the
 * list is not tracked, cut, or its log no longer goes back that far: the caller indexes it afresh.
 */
export function settledSince(list: readonly unknown[], cursor: number): { places: readonly number[]; cursor: number } | undefined {
  const tracked = trackedLists.get(list);
  if (tracked === undefined || cursor < tracked.logStart || !trackingIntact(tracked)) return undefined;
  const end = tracked.logStart + tracked.log.length;
  return { places: tracked.log.slice(cursor - tracked.logStart), cursor: end };
}

/**
 * The places of a tracked list the group running now may have changed: those it reached, and those
 * appended after the tracked ones. Undefined when the list is not tracked or was cut.
 */
export function unsettledPlaces(list: readonly unknown[]): number[] | undefined {
  const tracked = trackedLists.get(list);
  if (tracked === undefined || !trackingIntact(tracked)) return undefined;
  const places = [...tracked.touched];
  for (let place = tracked.count; place < tracked.list.length; place += 1) places.push(place);
  return places;
}
