#!/usr/bin/env bash
# Every C source and header follows .clang-format.
set -euo pipefail
cd "${GLV_SOURCE_DIR:?}"
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find core include plugins tools tests examples -name '*.[ch]')
[ ${#files[@]} -gt 0 ] || { echo "no sources found" >&2; exit 1; }
clang-format --dry-run -Werror "${files[@]}"
echo "format: ${#files[@]} files checked"
