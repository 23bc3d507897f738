#!/usr/bin/env bash
# Mutation score of the engine modules (normalize, rules, policy, matcher) under the fast tests
# (tests/test_{normalize,rules,policy,matcher}.py); mutmut's settings are [tool.mutmut] in
# pyproject.toml.
#
#   tools/mutation.sh                      # all four modules (about an hour on two cores)
#   tools/mutation.sh rules policy         # some of them
#   MUTATION_DIR=/tmp/mut tools/mutation.sh rules        # keep the work directory for later
#   MUTATION_DIR=/tmp/mut tools/mutation.sh --survivors  # after adding tests: rerun only the
#                                                        # mutants that survived there
#   MUTATION_DIR=/tmp/mut tools/mutation.sh --report     # print the scores again, run nothing
#
# Needs mutmut (pip install mutmut==3.8.1); it is no dependency of the package. Not part of the
# test suite or CI. The tree is copied to a work directory first (the current tests and code),
# so mutmut's mutants/ never appears in the checkout. In the work directory, `mutmut show NAME`
# prints a survivor's diff.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${MUTATION_DIR:-$(mktemp -d -t screening-mutation-XXXXXX)}
mode=run
case "${1:-}" in
    --survivors) mode=survivors; shift ;;
    --report) mode=report; shift ;;
esac
modules=("$@")
[ ${#modules[@]} -eq 0 ] && modules=(normalize rules policy matcher)
mkdir -p "$work"
cd "$work"

report() {
    python - "$@" <<'PY'
import json, sys
from pathlib import Path
# mutmut's exit codes: 1 a test failed (killed), 0 survived, 33 no test covers it, 34 skipped,
# 36/24/-24/152 timeout and -9/-11 killed by a signal (counted as killed: the tests did not pass).
KILLED = {1, 3, 36, 24, -24, 152, -9, -11}
total_k = total_n = 0
for mod in sys.argv[1:]:
    meta = Path("mutants/screening/engine") / f"{mod}.py.meta"
    if not meta.exists():
        print(f"{mod:10s} not run")
        continue
    codes = {k: c for k, c in json.loads(meta.read_text())["exit_code_by_key"].items() if c is not None}
    survivors = sorted(k for k, c in codes.items() if c not in KILLED)
    k, n = len(codes) - len(survivors), len(codes)
    total_k, total_n = total_k + k, total_n + n
    print(f"{mod:10s} {k:5d}/{n:<5d} killed  {100 * k / max(n, 1):5.1f}%")
    for s in survivors:
        print(f"    {s}: {'no tests' if codes[s] == 33 else 'survived'}")
print(f"{'total':10s} {total_k:5d}/{total_n:<5d} killed  {100 * total_k / max(total_n, 1):5.1f}%")
PY
}

if [ "$mode" != report ]; then
    tar -C "$root" --exclude ./.venv --exclude ./.git --exclude ./mutants --exclude ./build --exclude '*.egg-info' \
        --exclude __pycache__ --exclude .hypothesis -cf - . | tar -C "$work" -xf -
    names=()
    if [ "$mode" = survivors ]; then
        mapfile -t names < <(report "${modules[@]}" | sed -n 's/^    \(screening\.[^:]*\): survived$/\1/p')
        [ ${#names[@]} -eq 0 ] && { echo "no survivors to rerun"; report "${modules[@]}"; exit 0; }
    else
        for m in "${modules[@]}"; do names+=("screening.engine.$m.*"); done
    fi
    echo "running mutmut on ${#names[@]} name(s) in $work (log: $work/mutmut-run.log)"
    mutmut run "${names[@]}" >"$work/mutmut-run.log" 2>&1 || { tail -c 3000 "$work/mutmut-run.log"; exit 1; }
fi
report "${modules[@]}"
echo "work directory: $work"
