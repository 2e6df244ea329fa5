"""Exceptions: one per menshen_status, each carrying the library's message."""


class MenshenError(Exception):
    """A call into libmenshen failed. `status` is the C status code, `message`
    the library's detail (which pack, file, line, profile)."""

    status = None

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class InvalidArgumentError(MenshenError, ValueError):
    status = -1


class OutOfMemoryError(MenshenError, MemoryError):
    status = -2


class VersionError(MenshenError):
    status = -3


class FileError(MenshenError, OSError):
    """A pack or policy file or folder is missing or unreadable."""
    status = -4


class PackError(MenshenError):
    status = -5


class PolicyError(MenshenError):
    status = -6


class ProfileError(MenshenError, ValueError):
    status = -7


class InputTooLargeError(MenshenError, ValueError):
    status = -8


class StateError(MenshenError, RuntimeError):
    status = -9


class InternalError(MenshenError):
    status = -10


class CallbackError(MenshenError):
    """A callback asked the library to stop (only seen when the callback was
    not a Python one: a Python callback's own exception is raised instead)."""
    status = -11


class AuditError(MenshenError):
    """Fail closed: the decision's audit record was not taken (the audit hook
    of an engine opened with audit_fail_closed=True raised). There is no
    decision to act on; the hook's exception is the __cause__."""
    status = -12


_BY_STATUS = {cls.status: cls for cls in (
    InvalidArgumentError, OutOfMemoryError, VersionError, FileError, PackError, PolicyError,
    ProfileError, InputTooLargeError, StateError, InternalError, CallbackError, AuditError)}


def error_for(status, message):
    """The exception for a status code; unknown codes (from a newer library)
    become a plain MenshenError."""
    cls = _BY_STATUS.get(status, MenshenError)
    return cls(message or f"menshen status {status}", status)
