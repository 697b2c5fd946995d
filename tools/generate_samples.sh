#!/usr/bin/env bash
# Regenerates the checked-in samples from the code:
#   etc/trove/trove.conf.sample   (oslo-config-generator, every option)
#   etc/trove/policy.yaml.sample  (oslopolicy-sample-generator, every rule)
# tests/unit/test_samples.py fails while either is stale.
# Uses the project's virtualenv if there is one, else the tools on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
bin_dir=""
if [ -x .venv/bin/oslo-config-generator ]; then
  bin_dir=".venv/bin/"
fi
# Library deprecation warnings are noise here; errors still show.
export PYTHONWARNINGS=ignore
"${bin_dir}oslo-config-generator" \
  --config-file etc/trove/trove-config-generator.conf
"${bin_dir}oslopolicy-sample-generator" \
  --config-file etc/trove/policy-generator.conf
echo "Wrote etc/trove/trove.conf.sample and etc/trove/policy.yaml.sample"
