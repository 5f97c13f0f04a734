#!/usr/bin/env bash
# Installs what is missing, then runs every check and test Strata has: formatting, clippy,
# TypeScript, generated bindings, engine and CLI tests against real S3 servers and a real
# Secret Service, UI component tests, and the end-to-end test of the real app window.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)
# gnome-keyring keeps its keyrings under XDG_DATA_HOME: a private one per run means tests
# never open (or depend on the password of) the user's own login keyring.
keyrings="$(mktemp -d)"
trap 'rm -rf "$keyrings"' EXIT
with_keyring() {
  XDG_DATA_HOME="$keyrings" dbus-run-session -- bash -c \
    'echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"' keyring "$@"
}

step "cargo fmt --check"
cargo fmt --all --check

step "The engine builds without Tauri"
if cargo tree -p strata-core -e normal --prefix none | grep -E '^tauri' ; then
  echo "crates/core depends on tauri: the engine must stay UI-free" >&2
  exit 1
fi

step "UI: tsc --noEmit, vitest, vite build"
(cd ui && npm run --silent typecheck && npm test --silent && npm run --silent build)

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Engine, CLI and bindings tests (real S3 servers, real Secret Service)"
# One session bus and an unlocked gnome-keyring for the whole run; tests use their own
# STRATA_HOME folders, so they never touch a user's secrets.
with_keyring cargo nextest run --workspace --locked --no-fail-fast

step "End-to-end: the real app window under Xvfb through tauri-driver"
cargo build -p strata-app --locked
with_keyring xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/pytest -q tests/e2e

step "All checks passed in $(( $(date +%s) - started )) s"
