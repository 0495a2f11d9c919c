#!/bin/sh
# Precision and recall of the PII detector on the generated corpus
# (tests/pii_corpus.py, fixed seed), as TAP from tests/pii_eval.
set -u
build=${EUGATE_BUILDDIR:-.}
src=${EUGATE_SRCDIR:-.}
${PYTHON3:-python3} "$src/tests/pii_corpus.py" 2026 100 | "$build/tests/pii_eval"
