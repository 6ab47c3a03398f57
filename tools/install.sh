#!/usr/bin/env bash
# Independent scanners used as test gates, each in its own virtual environment under .tools/
# (their dependency trees conflict with each other and stay out of the runtime requirements).
# `bash tools/install.sh actionlint` installs only the tools named.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
TOOLS_DIR="${ENCLAVE_TOOLS_DIR:-.tools}"
TOOLS=(checkov network-config-analyzer kubernetes-validate actionlint)
for tool in "${@:-${TOOLS[@]}}"; do
  req="tools/requirements-$tool.txt"
  venv="$TOOLS_DIR/$tool"
  stamp="$venv/.installed"
  want="$(sha256sum "$req" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    continue
  fi
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q --no-deps -r "$req"
  "$venv/bin/python" -m pip check
  echo "$want" > "$stamp"
done

# The evidence report's browser test and `make screenshot` drive Debian's chromium through playwright
# (requirements-dev.txt); playwright never downloads a browser of its own here.
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ "$(id -u)" == 0 ]]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "tools/install.sh: /usr/bin/chromium is missing; install it as root: apt-get install -y chromium" >&2
    exit 1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
