#!/usr/bin/env bash
# mutmut for `make mutate`, in its own virtual environment under .tools/ (or $ENCLAVE_TOOLS_DIR). Kept out of
# tools/install.sh (`make tools`, `make test`): it holds the project's whole dependency tree as well (mutmut
# runs the tests in-process), about two minutes to install, and only `make mutate` needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
TOOLS_DIR="${ENCLAVE_TOOLS_DIR:-.tools}"
venv="$TOOLS_DIR/mutmut"
stamp="$venv/.installed"
want="$(cat tools/requirements-mutmut.txt requirements-dev.txt requirements.txt | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
rm -rf "$venv"
"$PYTHON" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -r tools/requirements-mutmut.txt
"$venv/bin/python" -m pip check
echo "$want" > "$stamp"
