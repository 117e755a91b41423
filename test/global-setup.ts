import { spawnSync } from 'node:child_process';

/** Fails the whole run, saying why, when no WebGPU adapter can be had: tests never skip silently. */
export default function setup(): void {
  const r = spawnSync(process.execPath, ['scripts/probe.mjs', '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      `No WebGPU adapter: the kernel tests need one and will not be skipped.\n${r.stdout}${r.stderr}\nRun \`bash scripts/setup.sh\` to install the Vulkan driver (lavapipe).`,
    );
  }
  console.log(`WebGPU adapter: ${r.stdout.trim()}`);
}
