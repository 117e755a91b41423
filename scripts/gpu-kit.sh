#!/usr/bin/env bash
# Builds gpu-kit/ (ignored): all a bare Linux x86-64 machine with a GPU driver but no Node needs to
# run scripts/gpu-check.sh — Node (xz), dawn.node for linux-x64 (xz), the bundled CLI, benchmark and
# kernel tests (shaders inlined), the embedded data as IDX, and Debian's Vulkan loader package.
# Kit + tracked tree must stay under the device's 64 MiB; the script says the sizes and refuses more.
#   bash scripts/gpu-kit.sh     then, on the device: bash gpu-kit/gpu-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
KIT=gpu-kit
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || { echo "gpu-kit: run npm install first (no node_modules/webgpu)" >&2; exit 1; }
rm -rf "$KIT.tmp" && mkdir -p "$KIT.tmp/webgpu/dist/linux-x64" "$KIT.tmp/vulkan"
NODE="$(command -v node)"
case "$(node -p 'process.platform + "-" + process.arch')" in
  linux-x64) ;; *) echo "gpu-kit: this Node is not linux-x64; the device needs a linux-x64 Node binary" >&2; exit 1 ;;
esac
echo "gpu-kit: compressing $NODE ($(node -v)) and dawn.node (xz, about a minute)"
xz -T0 -6 -c "$NODE" >"$KIT.tmp/node.xz"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$KIT.tmp/dawn.node.xz"
cp node_modules/webgpu/index.js node_modules/webgpu/package.json "$KIT.tmp/webgpu/"
cp scripts/probe.mjs scripts/gpu-check.sh "$KIT.tmp/"
node scripts/gpu-kit/bundle.mjs "$KIT.tmp"
# Debian's Vulkan loader for amd64, used only where the device has none (gpu-check.sh decides).
( cd "$KIT.tmp/vulkan" && apt-get -oAPT::Architecture=amd64 download libvulkan1 >/dev/null ) \
  || echo "gpu-kit: could not download libvulkan1 (offline?); the kit will need the device's own loader" >&2
rm -rf "$KIT" && mv "$KIT.tmp" "$KIT"
kit=$(du -sb "$KIT" | cut -f1)
tree=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
total=$((kit + tree))
awk -v k="$kit" -v t="$tree" 'BEGIN { printf "gpu-kit: kit %.2f MiB + tracked tree %.2f MiB = %.2f MiB (device limit 64 MiB)\n", k / 1048576, t / 1048576, (k + t) / 1048576 }'
if [ "$total" -ge $((64 * 1048576)) ]; then echo "gpu-kit: over the device's 64 MiB" >&2; exit 1; fi
