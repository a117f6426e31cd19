"""Problems a process finds before it serves: one line for the user, exit code 2.

A busy port, a missing file, a symbol the exchange does not list: the user must change
something, so a traceback would only hide the one line that says what. `gridops.cli`
prints `gridops: <message>` and exits 2 for every StartupError; under Kubernetes that
line, last on stderr, becomes the container's termination message.
"""

from __future__ import annotations

import errno
import socket

#: what `describe_os_error` says of an address this machine does not have
NOT_LOCAL = "is not an address of this machine"


class StartupError(Exception):
    """A setting or the environment keeps the process from starting; the message says
    what and how to change it."""


def bind_problem(host: str, port: int) -> str | None:
    """Why `host:port` cannot be bound (None: it can), found with a plain socket.

    gRPC reports a failed bind without its cause (and logs a C-level error line first);
    a plain bind of the same address says whether the port is taken, privileged or not
    an address of this machine. SO_REUSEADDR as servers set it: a port that only has
    connections in TIME_WAIT is free, one that a server listens on is not.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        return describe_os_error(error)
    return None


def describe_os_error(error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return "is already in use"
    if error.errno == errno.EACCES:
        return "needs privileges (ports below 1024)"
    if error.errno == errno.EADDRNOTAVAIL:
        return NOT_LOCAL
    return f"cannot be bound ({error.strerror or error})"


def port_error(
    what: str, host: str, port: int, flags: tuple[str, str], problem: str
) -> StartupError:
    """`what` (e.g. "gRPC port") `host:port` `problem`; choose another with the flag
    that changes the port, or (`flags[1]`) the address when the address is the problem."""
    flag = flags[1] if problem == NOT_LOCAL else flags[0]
    return StartupError(f"{what} {host}:{port} {problem}; choose another with {flag}")


def bind_failed(
    what: str, host: str, port: int, flags: tuple[str, str], error: OSError
) -> StartupError:
    return port_error(what, host, port, flags, describe_os_error(error))
