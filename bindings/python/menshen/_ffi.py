"""Loads libmenshen.so through cffi's ABI mode (no compiler needed).

The declarations come from capi/menshen.h (linked into the package folder in
the source tree; an installed package carries the file), with the preprocessor lines and the export
macro taken out, which is all cffi's cdef needs: the header is written to be
that plain.
"""
import os
import re

from cffi import FFI

_HERE = os.path.dirname(os.path.abspath(__file__))


def _cdef_source(header_text):
    text = re.sub(r"/\*.*?\*/", " ", header_text, flags=re.S)
    text = re.sub(r"\\\n", " ", text)
    out = []
    skip = []  # per open #if: whether its lines are skipped (only C++-only blocks are)
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            directive = stripped[1:].strip()
            if directive.startswith("if"):
                skip.append("__cplusplus" in directive)
            elif directive.startswith("endif"):
                skip.pop()
            elif directive.startswith("else") and skip and skip[-1]:
                skip[-1] = False  # the #else of "#ifdef __cplusplus" is C
            continue
        if any(skip):
            continue
        out.append(line)
    return re.sub(r"\bMENSHEN_API\b", "", "\n".join(out))


def _candidates():
    env = os.environ.get("MENSHEN_LIBRARY")
    if env:
        yield env
        return  # an explicit choice is never silently replaced
    for name in sorted(os.listdir(_HERE)):
        if name.startswith("libmenshen.so"):
            yield os.path.join(_HERE, name)
    yield "libmenshen.so.0"  # the system loader's search path
    yield "libmenshen.so"


ffi = FFI()
with open(os.path.join(_HERE, "menshen.h"), encoding="utf-8") as _f:
    ffi.cdef(_cdef_source(_f.read()))


def _load():
    errors = []
    for path in _candidates():
        try:
            return ffi.dlopen(path), path
        except OSError as e:
            errors.append(f"{path}: {e}")
    raise ImportError("cannot load libmenshen.so (set MENSHEN_LIBRARY to its path): "
                      + "; ".join(errors))


lib, library_path = _load()

# The header's version, as MENSHEN_VERSION_NUMBER computes it.
_m = re.search(r"MENSHEN_VERSION_MAJOR (\d+).*MENSHEN_VERSION_MINOR (\d+).*"
               r"MENSHEN_VERSION_PATCH (\d+)", open(os.path.join(_HERE, "menshen.h")).read(),
               flags=re.S)
HEADER_VERSION = int(_m.group(1)) * 10000 + int(_m.group(2)) * 100 + int(_m.group(3))
_loaded = lib.menshen_version_number()
# Same major (and, before 1.0, the same minor): the ABI this package was written for.
if _loaded // 10000 != HEADER_VERSION // 10000 or (
        HEADER_VERSION < 10000 and _loaded // 100 != HEADER_VERSION // 100):
    raise ImportError(f"{library_path} is version {_loaded}, this package needs "
                      f"{HEADER_VERSION // 100}.x")
