#!/usr/bin/env bash
# Prepares a fresh Debian/Ubuntu machine for promptune: OpenBLAS for the native kernels (its OpenMP
# build, so the kernels' own loops share OpenBLAS's one thread pool), installed with apt-get when
# missing, then the npm dependencies, which build the kernels, dist/ and the dashboard (dist/web). With
# --test it also installs PostgreSQL, whose server the registry tests start for themselves, Redis, whose
# server the BullMQ job-queue tests start for themselves, and Chromium, which the dashboard's browser
# tests drive headless.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=()
if [ ! -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so ]; then packages+=(libopenblas-dev libopenblas-openmp-dev); fi
if [ "${1:-}" = "--test" ] && [ ! -d /usr/lib/postgresql ]; then packages+=(postgresql); fi
if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/redis-server ]; then packages+=(redis-server); fi
if [ "${1:-}" = "--test" ] && [ ! -x /usr/bin/chromium ]; then packages+=(chromium); fi
if [ ${#packages[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  sudo_command=""
  if [ "$(id -u)" -ne 0 ]; then sudo_command="sudo"; fi
  $sudo_command apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_command apt-get install -y -qq "${packages[@]}" >/dev/null
fi
npm ci --no-audit --no-fund
