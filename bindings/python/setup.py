"""Bundles libmenshen.so into the package, so `import menshen` needs nothing else.

pyproject.toml holds the metadata; this file only adds the library to the
build. The library comes from, in this order:
  1. $MENSHEN_LIBRARY (a libmenshen.so.0 already built);
  2. the repository's build folder (build/lib/libmenshen.so.0, as
     tools/quickstart.sh leaves it), when this is a checkout;
  3. a build of the shared library alone (CMake, tests and benchmarks off)
     into build/libmenshen beside this file, when the sources are here.
At run time $MENSHEN_LIBRARY still overrides the bundled copy.
"""
import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SONAME = "libmenshen.so.0"


def _build_library() -> str:
    if not os.path.isfile(os.path.join(REPO, "capi", "menshen.h")):
        raise SystemExit("menshen: no libmenshen.so to bundle: set MENSHEN_LIBRARY to a built "
                         "libmenshen.so.0, or install from a checkout of the repository")
    build = os.path.join(HERE, "build", "libmenshen")
    subprocess.check_call(["cmake", "-S", REPO, "-B", build, "-G", "Ninja",
                           "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DMENSHEN_BUILD_TESTS=OFF",
                           "-DMENSHEN_BUILD_BENCH=OFF"])
    subprocess.check_call(["cmake", "--build", build, "--target", "menshen_shared"])
    return os.path.join(build, "lib", SONAME)


def find_library() -> str:
    env = os.environ.get("MENSHEN_LIBRARY")
    if env:
        if not os.path.isfile(env):
            raise SystemExit(f"menshen: MENSHEN_LIBRARY={env} is not a file")
        return env
    built = os.path.join(REPO, "build", "lib", SONAME)
    if os.path.isfile(built):
        return built
    return _build_library()


class BuildWithLibrary(build_py):
    """Copies the library (its real file, not a link) into the package."""

    def run(self) -> None:
        super().run()
        if self.dry_run:
            return
        target = os.path.join(self.build_lib, "menshen", SONAME)
        source = find_library()
        self.announce(f"bundling {source} as {target}", level=2)
        shutil.copyfile(os.path.realpath(source), target)


class BinaryDistribution(Distribution):
    """A wheel tagged for this platform: it carries a native library."""

    def has_ext_modules(self) -> bool:
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
