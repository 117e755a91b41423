import cliProgress from 'cli-progress';

/**
 * Progress of a long stretch of work, with its rate and ETA: a bar on a terminal, else a line
 * per 10% (logs, CI). Call it with what is running and how far it is; stop() ends the bar (call
 * it before printing a line), and the next update starts a new one. The ETA is the current
 * stage's own pace; the seconds shown count from the reporter's creation.
 */
export function progressReporter(): { update: (what: string, done: number, total: number) => void; stop: () => void } {
  const t0 = performance.now();
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: '{what} [{bar}] {value}/{total} | ETA {eta_formatted}', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let current = '';
  let decile = -1;
  let stageStart = t0;
  return {
    update(what, done, total) {
      if (!bar) {
        if (what !== current) [current, decile, stageStart] = [what, -1, performance.now()];
        const now = Math.floor((10 * done) / total);
        if (now > decile) {
          decile = now;
          const seconds = (performance.now() - t0) / 1000;
          const stageSeconds = (performance.now() - stageStart) / 1000;
          const eta =
            done > 0 && done < total ? `, about ${((stageSeconds * (total - done)) / done).toFixed(0)} s left` : '';
          console.log(`${what}: ${done}/${total} (${seconds.toFixed(0)} s${eta})`);
        }
        return;
      }
      if (what !== current) {
        bar.stop();
        bar.start(total, done, { what });
        current = what;
      }
      bar.update(done, { what });
    },
    stop() {
      bar?.stop();
      current = '';
    },
  };
}
