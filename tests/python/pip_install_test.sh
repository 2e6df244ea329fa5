#!/usr/bin/env bash
# Proves `pip install ./bindings/python` works offline on Debian 12: Debian's
# pip refuses to install into the system Python (PEP 668), so into a venv that
# sees the system's python3-cffi and python3-setuptools; then runs the pytest
# suite against the installed package.
#   pip_install_test.sh SOURCE_DIR WORK_DIR
set -euo pipefail
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cp -rL "$src/bindings/python" "$work/pkg"   # pip writes build/ and *.egg-info beside the sources; -L: the header is a link
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-build-isolation --no-index "$work/pkg"
cd "$work"   # not the source tree: import the installed package
MENSHEN_TEST_INSTALLED=1 PYTHONDONTWRITEBYTECODE=1 \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$src/tests/python"
"$work/venv/bin/python" -c 'import menshen, sys; sys.exit(0 if "venv" in menshen.__file__ else 1)'

# The package bundles the library (setup.py): without MENSHEN_LIBRARY it loads
# its own copy, typed (py.typed) and documented.
env -u MENSHEN_LIBRARY "$work/venv/bin/python" -c '
import menshen, os, pydoc, sys
assert menshen.library_path.endswith("/menshen/libmenshen.so.0"), menshen.library_path
assert "venv" in menshen.library_path, menshen.library_path
assert os.path.isfile(os.path.join(os.path.dirname(menshen.__file__), "py.typed"))
assert menshen.Engine().check("hello").action is menshen.Action.ALLOW
doc = pydoc.render_doc(menshen.Engine, renderer=pydoc.plaintext)
assert "check(" in doc and "Checks one text" in doc, doc[:2000]
'
# MENSHEN_LIBRARY stays an override.
MENSHEN_LIBRARY=/nonexistent/libmenshen.so.0 "$work/venv/bin/python" -c 'import menshen' 2> "$work/override.err" && exit 1
grep -q "/nonexistent/libmenshen.so.0" "$work/override.err"
echo "installed package imports its bundled library"
