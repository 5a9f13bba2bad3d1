# Shared by scripts/serve and scripts/test: a Python 3.11+ virtual env in .venv
# with Toolsmith installed editable. Sourced from the repository root.

find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Toolsmith needs Python 3.11 or newer: install python3.11 (and python3.11-venv on Debian/Ubuntu)." >&2
  return 1
}

# Creates .venv and installs the project editable with the given extras,
# again only when pyproject.toml has changed since the last install.
ensure_venv() {
  local spec=$1 stamp=".venv/.installed-$2" hash python
  if ! .venv/bin/python -c '' 2>/dev/null; then
    echo "Setting up .venv…"
    python=$(find_python)
    rm -rf .venv
    if ! "$python" -m venv .venv; then
      rm -rf .venv
      echo "Could not create .venv with $python: install its venv module (python3-venv on Debian/Ubuntu)." >&2
      return 1
    fi
  fi
  hash=$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')
  if [[ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]]; then
    echo "Installing Toolsmith and its dependencies into .venv…"
    # pip's own chatter goes to a log, shown only when the install fails.
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -e "$spec" > .venv/pip.log 2>&1; then
      tail -n 40 .venv/pip.log >&2
      echo "Installing the dependencies failed (full log: .venv/pip.log)." >&2
      return 1
    fi
    echo "$hash" > "$stamp"
  fi
}
