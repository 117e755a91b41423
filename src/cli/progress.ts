import cliProgress from 'cli-progress';

/**
 * Progress of a long stretch of work, with its rate and ETA: a bar on a terminal, else a line
 * per 10% (logs, CI). Call it with what is running and how far it is; stop() ends the bar (call
 * it before printing a line), and the next update draws it again. The ETA is the current
 * stage's own pace (a stage is one `what`), counted from where the stage began; the seconds
 * shown count from the reporter's creation.
 */
export function progressReporter(): { update: (what: string, done: number, total: number) => void; stop: () => void } {
  const t0 = performance.now();
  const bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: '{what} [{bar}] {value}/{total} | ETA {eta_formatted}', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let stage = { what: '', start: 0, done: 0, decile: -1 };
  let drawn = false;
  return {
    update(what, done, total) {
      if (what !== stage.what) {
        stage = { what, start: performance.now(), done, decile: -1 };
        if (drawn) bar?.stop();
        drawn = false;
      }
      if (bar) {
        if (!drawn) bar.start(total, done, { what });
        else bar.update(done, { what });
        drawn = true;
        return;
      }
      const decile = Math.floor((10 * done) / total);
      if (decile <= stage.decile) return;
      stage.decile = decile;
      const seconds = (performance.now() - t0) / 1000;
      const stageSeconds = (performance.now() - stage.start) / 1000;
      const rate = (done - stage.done) / stageSeconds; // per second, this stage
      const eta =
        done < total && stageSeconds >= 1 && rate > 0 ? `, about ${((total - done) / rate).toFixed(0)} s left` : '';
      console.log(`${what}: ${done}/${total} (${seconds.toFixed(0)} s${eta})`);
    },
    stop() {
      if (drawn) bar?.stop();
      drawn = false;
    },
  };
}
