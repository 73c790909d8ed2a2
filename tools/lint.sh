#!/usr/bin/env bash
# make lint: ruff check, ruff format --check, pyright and shellcheck over the whole project. Every checker
# runs even when an earlier one fails, so one pass shows everything; the exit status is non-zero if any failed.
# The ShellCheck binary comes from Debian apt and is installed here when missing, so a fresh machine needs no setup step.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
VENV=${VENV:-.venv}

die() { echo "lint: $*" >&2; exit 2; }

tool() { # tool NAME -> path of NAME from the virtualenv, else from PATH
	if [ -x "$VENV/bin/$1" ]; then echo "$VENV/bin/$1"; else command -v "$1" || true; fi
}

ensure_shellcheck() {
	command -v shellcheck >/dev/null 2>&1 && return 0
	local sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
	echo "lint: shellcheck is missing; installing it from Debian apt" >&2
	if ! { "${sudo[@]}" apt-get update -q >/dev/null &&
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q shellcheck >/dev/null; }; then
		die "could not install shellcheck (apt-get install shellcheck failed; run it as root, or install shellcheck yourself)"
	fi
}

RUFF=$(tool ruff)
PYRIGHT=$(tool pyright)
[ -n "$RUFF" ] || die "ruff not found; run 'make venv' (requirements.txt pins it)"
[ -n "$PYRIGHT" ] || die "pyright not found; run 'make venv' (requirements.txt pins it)"
ensure_shellcheck

# Every tracked file that is a shell script, by its first line (so a new script is checked without listing it).
mapfile -t SCRIPTS < <(git ls-files | while read -r f; do
	[ -f "$f" ] && head -1 "$f" | grep -qE '^#!(/usr/bin/env |/bin/)(ba)?sh' && echo "$f"
done)

failed=()
step() { # step NAME command...
	local name=$1
	shift
	echo "lint: $name" >&2
	"$@" || failed+=("$name")
}

step "ruff check" "$RUFF" check .
step "ruff format --check" "$RUFF" format --check .
step "pyright" "$PYRIGHT" --pythonpath "$VENV/bin/python"
step "shellcheck (${#SCRIPTS[@]} scripts)" shellcheck -x -P SCRIPTDIR "${SCRIPTS[@]}"

if [ ${#failed[@]} -gt 0 ]; then
	printf 'lint: FAILED: %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "lint: all checks passed" >&2
