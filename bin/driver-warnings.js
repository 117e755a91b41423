// Dawn prints limit warnings from native code straight to file descriptor 2 on software Vulkan
// adapters ("maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16
// …"), on every run. A JS process cannot redirect its own descriptor, so the CLI runs as a
// child whose stderr passes through this filter, which drops those lines and nothing else;
// `--verbose` runs it directly and shows them.
import { spawn } from 'node:child_process';

const CHILD = 'SPARSEGRAD_STDERR_FILTERED';
const DRIVER_WARNING = /^Warning: \w+ artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;
const PREFIX = 'Warning: ';

/** Drops the driver's warning lines from a stream of chunks; progress bars (no newline) pass at once. */
export function driverWarningFilter(write) {
  let held = '';
  return {
    push(chunk) {
      const text = held + chunk;
      const lines = text.split('\n');
      const last = lines.pop();
      const kept = lines.filter((l) => !DRIVER_WARNING.test(l.replace(/\r$/, '')));
      // An unfinished line that may be the start of a warning waits for its end.
      const mayBeWarning = last.startsWith(PREFIX) || PREFIX.startsWith(last);
      held = mayBeWarning ? last : '';
      const out = kept.map((l) => `${l}\n`).join('') + (mayBeWarning ? '' : last);
      if (out) write(out);
    },
    end() {
      if (held) write(held);
      held = '';
    },
  };
}

/**
 * In the first process (no --verbose): runs this script again as a child with stderr filtered,
 * and exits as the child did; returns false in the child (and with --verbose), which goes on.
 */
export function runFiltered(script) {
  const args = process.argv.slice(2);
  if (process.env[CHILD]) {
    adoptParentsTerminal();
    return false;
  }
  if (args.includes('--verbose')) return false;
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    env: {
      ...process.env,
      [CHILD]: '1',
      ...(process.stderr.isTTY && { SPARSEGRAD_STDERR_COLUMNS: String(process.stderr.columns || 80) }),
    },
  });
  const filter = driverWarningFilter((s) => process.stderr.write(s));
  child.stderr.setEncoding('utf8').on('data', (s) => filter.push(s));
  // A terminal's Ctrl-C and hang-up reach the whole process group, the child too; `kill PID` reaches this one.
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGQUIT']) process.on(signal, () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  // 'close': after the child's stderr has been read to its end.
  child.on('close', (code, signal) => {
    filter.end();
    const finish = () => {
      if (signal) {
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
      }
      process.exit(code ?? 1);
    };
    if (process.stderr.writableNeedDrain) process.stderr.once('drain', finish);
    else finish();
  });
  return true;
}

/** The child writes to a pipe: it keeps the terminal's progress bars, and dies with its parent. */
function adoptParentsTerminal() {
  const columns = Number(process.env.SPARSEGRAD_STDERR_COLUMNS);
  if (columns > 0) Object.assign(process.stderr, { isTTY: true, columns });
  delete process.env[CHILD];
  delete process.env.SPARSEGRAD_STDERR_COLUMNS;
  if (process.channel) {
    process.channel.unref();
    // The parent killed (SIGKILL) closes the channel: a run must not go on unseen, holding its folder's lock.
    process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  }
}
