import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressReporter } from '../../src/cli/progress';

// Off a terminal (logs, CI) the reporter prints a line per 10% with an ETA from the stage's own pace.
describe('progressReporter off a terminal', () => {
  afterEach(() => vi.restoreAllMocks());

  it('prints each 10% once, with the ETA of the current stage counted from where it began', () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const p = progressReporter();
    // Stage one: 100 items at 10 per second.
    for (let done = 0; done <= 100; done += 5) {
      now = done * 100;
      p.update('a', done, 100);
    }
    p.stop(); // a line printed between updates does not restart the stage's count
    p.update('a', 100, 100);
    // Stage two starts at item 400 of 1000, at 100 per second.
    const start = now;
    for (let done = 400; done <= 1000; done += 50) {
      now = start + (done - 400) * 10;
      p.update('b', done, 1000);
    }
    expect(lines.filter((l) => l.startsWith('a: '))).toHaveLength(11);
    expect(lines).toContain('a: 50/100 (5 s, about 5 s left)');
    expect(lines).toContain('a: 100/100 (10 s)');
    expect(lines.filter((l) => l.startsWith('a: 100/100'))).toHaveLength(1);
    expect(lines[11]).toBe('b: 400/1000 (10 s)'); // its first line: no pace yet
    expect(lines).toContain('b: 600/1000 (12 s, about 4 s left)');
    expect(lines.at(-1)).toBe('b: 1000/1000 (16 s)');
  });
});
