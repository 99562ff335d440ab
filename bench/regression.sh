#!/usr/bin/env bash
# The outbox latency gate on the previous commit and on this checkout, in one sitting, so the
# two figures share the machine's load (docs/outbox.md: run it whenever roaming/outbox,
# locations/services.py or the CSMS bridge change).
#
#   bash bench/regression.sh [REV]        # REV: the baseline, default HEAD~1
#
# The baseline is checked out in a temporary git worktree and measured by THIS bench
# (bench/outbox_push.py --gate --repo), each run on a fresh database. Exit status: that of
# HEAD's gate (1 when its p99 exceeds 100 ms at 100 changes/s); the baseline's is printed.
set -uo pipefail
cd "$(dirname "$0")/.."
REV="${1:-HEAD~1}"
PY="${PYTHON:-.venv/bin/python}"
BASE="$(mktemp -d /tmp/outbox-baseline.XXXXXX)"
trap 'git worktree remove --force "$BASE" >/dev/null 2>&1; rm -rf "$BASE"' EXIT
git worktree add --detach "$BASE" "$REV" >/dev/null || exit 2

echo "== baseline: $REV ($(git rev-parse --short "$REV"))"
"$PY" bench/outbox_push.py --gate --repo "$BASE" | tee /tmp/outbox-gate-base.txt
base=${PIPESTATUS[0]}
echo "== this checkout: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + uncommitted changes')"
"$PY" bench/outbox_push.py --gate | tee /tmp/outbox-gate-head.txt
head=${PIPESTATUS[0]}

echo
echo "baseline $(tail -n 3 /tmp/outbox-gate-base.txt | grep -o '{.*}')  gate exit $base"
echo "HEAD     $(tail -n 3 /tmp/outbox-gate-head.txt | grep -o '{.*}')  gate exit $head"
exit "$head"
