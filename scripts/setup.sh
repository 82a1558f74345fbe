#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for promptune: OpenBLAS headers for the native kernels
# (installed with apt-get when missing), then the npm dependencies, which build the kernels and dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -e /usr/include/x86_64-linux-gnu/cblas.h ] && [ ! -e /usr/include/cblas.h ] && [ ! -e /usr/include/openblas/cblas.h ]; then
  sudo_command=""
  if [ "$(id -u)" -ne 0 ]; then sudo_command="sudo"; fi
  $sudo_command apt-get update -qq
  $sudo_command apt-get install -y -qq libopenblas-dev >/dev/null
fi
npm ci --no-audit --no-fund
