#!/usr/bin/env bash
# Installs what Strata needs to build, run and test on Debian/Ubuntu; skips what is present.
# Sourced by run.sh and test.sh. `setup.sh test` also installs the test-only tools.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
purpose="${1:-run}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev build-essential
  libssl-dev pkg-config libxdo-dev curl)
if [ "$purpose" = test ]; then
  apt_packages+=(xvfb xauth xdotool x11-utils python3-gi gir1.2-gtk-3.0 webkit2gtk-driver gnome-keyring dbus-x11 python3-venv awscli rclone)
fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "cargo is missing: install Rust 1.95 or newer with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' 2>/dev/null; then
  echo "Node.js 20.19 or newer is needed for the UI build (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Debian 12's own nodejs is 18: install Node 20+ from NodeSource or nvm, then run this again." >&2
  exit 1
fi

if [ ! -d "$root/ui/node_modules" ] || [ "$root/ui/package-lock.json" -nt "$root/ui/node_modules/.package-lock.json" ]; then
  say "Installing UI packages (npm ci)"
  (cd "$root/ui" && npm ci --no-audit --no-fund)
fi

if [ "$purpose" = test ]; then
  # Installed again whenever tests/requirements.txt changes (a stamp of it is kept in .venv).
  if ! cmp -s "$root/tests/requirements.txt" "$root/.venv/requirements.installed"; then
    say "Installing moto[server], selenium, pytest and dbus-next into .venv"
    python3 -m venv "$root/.venv"
    "$root/.venv/bin/pip" install -q -r "$root/tests/requirements.txt"
    cp "$root/tests/requirements.txt" "$root/.venv/requirements.installed"
  fi
  if ! command -v tauri-driver >/dev/null; then
    say "Installing tauri-driver 2.1.0"
    cargo install tauri-driver@2.1.0 --locked
  fi
fi
