#!/usr/bin/env bash
# Idempotent set-up for a fresh clone: npm dependencies, then a WebGPU driver only if Node
# cannot get an adapter (Debian 12 without a GPU: Mesa lavapipe from bookworm-backports).
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"

say() { echo "[setup] $*" >&2; }

if [ ! -d node_modules/webgpu ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

# The browser tests drive Debian's chromium (WebGPU on SwiftShader); no browser download.
install_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the browser tests"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >&2
  else
    say "no /usr/bin/chromium and no apt-get: the browser tests will fail until chromium is installed"
  fi
}
# Fashion-MNIST (`--data fashion-mnist`) is Debian's dataset-fashion-mnist package; the tests read it.
install_fashion_mnist() {
  [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && return 0
  if command -v apt-get >/dev/null; then
    say "installing Debian's dataset-fashion-mnist for the tests"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist >&2
  else
    say "no apt-get: the Fashion-MNIST tests will fail until /usr/share/datasets/fashion-mnist holds its IDX files"
  fi
}
case "${1:-}" in
  --tests) install_chromium; install_fashion_mnist ;;
  --browser) install_chromium ;;
esac

if adapter=$(node scripts/probe.mjs 2>/dev/null); then
  say "WebGPU adapter: $adapter"
  exit 0
fi
say "no WebGPU adapter ($adapter)"

if [ "$(uname -s)" != Linux ] || ! command -v apt-get >/dev/null; then
  say "cannot install a driver here: install a Vulkan (Linux), Metal (macOS) or D3D12 (Windows) driver and rerun"
  exit 1
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if ! grep -qs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null; then
  say "adding Debian bookworm-backports (Mesa 25: Debian 12's own Mesa 22 is too old for Dawn)"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
fi
say "installing mesa-vulkan-drivers + libvulkan1 from bookworm-backports (lavapipe, Vulkan on the CPU)"
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >&2

if adapter=$(node scripts/probe.mjs 2>/dev/null); then
  say "WebGPU adapter: $adapter"
else
  say "still no WebGPU adapter after installing lavapipe: $adapter"
  exit 1
fi
