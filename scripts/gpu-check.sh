#!/usr/bin/env bash
# The GPU check, run from the kit alone (scripts/gpu-kit.sh builds it) on a machine with a GPU
# driver but no Node: unpacks Node and dawn.node, finds a Vulkan loader, then reports the adapter,
# runs the kernel tests, the benchmarks and a short paper-preset training, and writes
# $OUT/gpu-check.json (with each step's log and JSON beside it).
#   bash gpu-kit/gpu-check.sh [--budget quick|full] [--peak-gflops X]
# quick: a reduced budget that proves the kit on a CPU adapter (lavapipe); full: ≤ 8 minutes on a GPU.
set -uo pipefail
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUDGET=full
PEAK=""
while [ $# -gt 0 ]; do
  case "$1" in
    --budget) BUDGET="${2:-}"; shift 2 ;;
    --peak-gflops) PEAK="${2:-}"; shift 2 ;;
    *) echo "gpu-check: unknown option $1 (known: --budget quick|full, --peak-gflops X)" >&2; exit 2 ;;
  esac
done
case "$BUDGET" in quick|full) ;; *) echo "gpu-check: --budget is quick or full, not '$BUDGET'" >&2; exit 2 ;; esac
OUT="${OUT:-$PWD/gpu-check-out}"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sparsegrad-gpu-check.XXXXXX")"
export PATH="$WORK/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export HOME="${HOME:-$WORK}" XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
START=$(date +%s)

unxz_to() { # xz, or Python's lzma where the machine has no xz
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}
mkdir -p "$WORK/bin" "$WORK/run/node_modules"
unxz_to "$KIT/node.xz" "$WORK/bin/node" && chmod +x "$WORK/bin/node" || { echo "gpu-check: could not unpack Node from $KIT/node.xz" >&2; exit 1; }
cp -r "$KIT/webgpu" "$WORK/run/node_modules/webgpu"
unxz_to "$KIT/dawn.node.xz" "$WORK/run/node_modules/webgpu/dist/linux-x64/dawn.node" || { echo "gpu-check: could not unpack dawn.node" >&2; exit 1; }
cp -r "$KIT"/*.mjs "$KIT/chunks" "$KIT/tests" "$KIT/data" "$WORK/run/"

# A Vulkan loader: the system's, else the kit's libvulkan1 unpacked beside the run (never into /).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  for deb in "$KIT"/vulkan/*.deb; do dpkg -x "$deb" "$WORK/vulkan"; done
  export LD_LIBRARY_PATH="$WORK/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  LOADER=kit
else
  LOADER=system
fi
# NVIDIA's container layout puts the ICD outside the loader's search path.
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi

cd "$WORK/run"
STEPS="$OUT/steps.tsv"
: >"$STEPS"
step() { # step NAME LIMIT_S COMMAND... : runs it under a time limit, logs to $OUT/NAME.log, records rc and seconds
  local name="$1" limit="$2"; shift 2
  local t0=$(date +%s)
  timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
  local rc=$?
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$(( $(date +%s) - t0 ))" "$*" >>"$STEPS"
  echo "gpu-check: $name: exit $rc in $(( $(date +%s) - t0 )) s"
}

step adapter 60 node probe.mjs
for t in tests/*.mjs; do
  step "test-$(basename "$t" .mjs)" 120 node --expose-gc "$t"
done
if [ "$BUDGET" = quick ]; then
  step bench 300 node bench.mjs matmul --data data
  step train 180 node sparsegrad.mjs train --preset paper --iterations 20 --eval-every 0 --data data --out train --no-progress
else
  step bench 300 node bench.mjs matmul conv sparse train overhead tune defence-cost --data data ${PEAK:+--peak-gflops "$PEAK"}
  step train 120 node sparsegrad.mjs train --preset paper --iterations 500 --eval-every 0 --data data --out train --no-progress
fi
cp results/bench-*.json train/train.json "$OUT/" 2>/dev/null

node - "$OUT" "$BUDGET" "$LOADER" "$START" <<'JS'
const fs = require('node:fs'), path = require('node:path');
const [out, budget, loader, start] = process.argv.slice(2);
const steps = fs.readFileSync(path.join(out, 'steps.tsv'), 'utf8').trim().split('\n').map((l) => {
  const [name, rc, seconds, command] = l.split('\t');
  return { name, exit: Number(rc), seconds: Number(seconds), command };
});
const lastJson = (name) => {
  const lines = fs.readFileSync(path.join(out, `${name}.log`), 'utf8').trim().split('\n');
  try { return JSON.parse(lines.at(-1)); } catch { return undefined; }
};
const tests = steps.filter((s) => s.name.startsWith('test-')).map((s) => ({ ...s, ...(lastJson(s.name) ?? {}) }));
const read = (f) => (fs.existsSync(path.join(out, f)) ? JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) : undefined);
const benchFile = fs.readdirSync(out).find((f) => /^bench-.*\.json$/.test(f));
const report = {
  tool: 'sparsegrad gpu-check',
  date: new Date().toISOString(),
  budget,
  vulkanLoader: loader,
  node: process.version,
  adapter: fs.readFileSync(path.join(out, 'adapter.log'), 'utf8').trim().split('\n').at(-1),
  seconds: Math.round(Date.now() / 1000 - Number(start)),
  kernelTests: {
    files: tests.length,
    passed: tests.reduce((a, t) => a + (t.passed ?? 0), 0),
    failed: tests.reduce((a, t) => a + (t.failed ?? (t.exit ? 1 : 0)), 0),
    failures: tests.flatMap((t) => t.failures ?? (t.exit ? [{ test: t.name, error: `exit ${t.exit}, see ${t.name}.log` }] : [])),
  },
  bench: benchFile ? read(benchFile) : null,
  train: read('train.json') ?? null,
  steps,
};
fs.writeFileSync(path.join(out, 'gpu-check.json'), `${JSON.stringify(report, null, 2)}\n`);
const ok = steps.every((s) => s.exit === 0);
console.log(`gpu-check: ${report.adapter}; kernel tests ${report.kernelTests.passed} passed, ${report.kernelTests.failed} failed; ${report.seconds} s; ${ok ? 'all steps passed' : 'SOME STEPS FAILED'} -> ${path.join(out, 'gpu-check.json')}`);
process.exit(ok ? 0 : 1);
JS
rc=$?
rm -rf "$WORK"
exit $rc
