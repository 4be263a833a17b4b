#!/usr/bin/env bash
# Install what two of the tests need beyond scripts/setup.sh (idempotent; CI runs it):
#   slurm-wlm + munge   tests/slurm.rs starts a private Slurm controller and compute
#                       daemon on localhost and runs a sweep as a job array
#   chromium            tests/report.rs opens the batch report headless and screenshots it
#   libegl1, libegl-mesa0, libgl1-mesa-dri
#                       tests/python.rs renders a slice of a result off screen with VTK
#                       (EGL on Mesa's software renderer); its Python packages come from
#                       PyPI into a virtual environment (python/requirements-test.txt)
# Without them those tests are skipped, unless THERMOGRID_REQUIRE_SLURM=1,
# THERMOGRID_REQUIRE_CHROMIUM=1 or THERMOGRID_REQUIRE_PYTHON=1 (CI sets all three).
set -euo pipefail
exec "$(dirname "$0")/setup.sh" slurm-wlm munge chromium libegl1 libegl-mesa0 libgl1-mesa-dri
