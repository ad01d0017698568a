#!/usr/bin/env bash
# docs/CONFIGURATION.md matches the schemas galvanid validates with.
set -euo pipefail
exec "${GLV_SOURCE_DIR:?}/tools/config-reference" --check "${GLV_BUILD_DIR:?}"
