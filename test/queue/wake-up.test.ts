import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WakeUp } from '../../src/queue/index.js';

describe('WakeUp', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits its time when nobody pokes it', async () => {
    const wakeUp = new WakeUp();
    let done = false;
    void wakeUp.wait(1000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it('ends a wait at the poke', async () => {
    const wakeUp = new WakeUp();
    let done = false;
    void wakeUp.wait(60_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    wakeUp.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps a poke that came while nobody waited for the next wait, once', async () => {
    const wakeUp = new WakeUp();
    wakeUp.poke();
    wakeUp.poke();
    let first = false;
    void wakeUp.wait(60_000).then(() => {
      first = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(first).toBe(true);
    let second = false;
    void wakeUp.wait(1000).then(() => {
      second = true;
    });
    await vi.advanceTimersByTimeAsync(500);
    expect(second).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(second).toBe(true);
  });
});
