"""menshen: content-safety filtering for LLM serving, on libmenshen's C ABI.

    import menshen
    engine = menshen.Engine(packs=["my-pack.mspack"], profile="default")
    decision = engine.check("some prompt", direction="input")
    if decision.action >= menshen.Action.REFUSE:
        reply = decision.refusal

    for text in engine.guard(openai_stream):      # or `async for`
        send(text)                                 # released text only

The library is found through $MENSHEN_LIBRARY, then next to this package,
then the system loader.
"""
from ._engine import (Action, AuditRecord, Decision, Direction, Engine, Hit, LabelPosition,
                      PackVersion, Stream, version)
from ._ffi import library_path
from ._guard import Guarded, chunk_text
from .errors import (AuditError, CallbackError, FileError, InputTooLargeError,
                     InternalError, InvalidArgumentError, MenshenError, OutOfMemoryError,
                     PackError, PolicyError, ProfileError, StateError, VersionError)

__version__ = "0.1.0"

__all__ = [
    "Action", "AuditRecord", "Decision", "Direction", "Engine", "Guarded", "Hit",
    "LabelPosition", "PackVersion", "Stream", "chunk_text", "library_path", "version",
    "MenshenError", "AuditError", "CallbackError", "FileError", "InputTooLargeError",
    "InternalError", "InvalidArgumentError", "OutOfMemoryError", "PackError", "PolicyError",
    "ProfileError", "StateError", "VersionError",
]
