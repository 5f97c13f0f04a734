#!/usr/bin/env bash
# Installs what is missing, builds Strata and starts the desktop app.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh run
(cd ui && npm run --silent build)
cargo build -p strata-app -p strata-cli --locked
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: run it under a virtual one, e.g." >&2
  echo "  xvfb-run -a dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets; ./target/debug/strata-app'" >&2
  exit 1
fi
exec ./target/debug/strata-app "$@"
