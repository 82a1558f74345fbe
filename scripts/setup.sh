#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for promptune: OpenBLAS for the native kernels (its OpenMP
# build, so the kernels' own loops share OpenBLAS's one thread pool), installed with apt-get when
# missing, then the npm dependencies, which build the kernels and dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so ] && command -v apt-get >/dev/null; then
  sudo_command=""
  if [ "$(id -u)" -ne 0 ]; then sudo_command="sudo"; fi
  $sudo_command apt-get update -qq
  $sudo_command apt-get install -y -qq libopenblas-dev libopenblas-openmp-dev >/dev/null
fi
npm ci --no-audit --no-fund
