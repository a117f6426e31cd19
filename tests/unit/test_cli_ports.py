"""Every port flag is checked by argparse: exit 2 naming the flag, never bind()'s traceback."""

from __future__ import annotations

import pytest

from gridops.cli import build_parser

PORT_FLAGS = [
    ("connector", "--port"),
    ("connector", "--metrics-port"),
    ("market-maker", "--http-port"),
    ("live-server", "--port"),
    ("operator", "--liveness-port"),
    ("demo", "--connector-port"),
    ("demo", "--market-maker-port"),
    ("demo", "--live-port"),
    ("demo", "--metrics-port"),
]


@pytest.mark.parametrize(("command", "flag"), PORT_FLAGS)
@pytest.mark.parametrize(
    ("value", "says"),
    [("99999", "99999 is not a port (0 to 65535)"), ("-1", "-1 is not a port"),
     ("http", "'http' is not a port number")],
)  # fmt: skip
def test_a_bad_port_is_refused_naming_the_flag(
    command: str, flag: str, value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([command, f"{flag}={value}"])
    assert exited.value.code == 2
    assert f"argument {flag}: {says}" in capsys.readouterr().err


@pytest.mark.parametrize(("command", "flag"), PORT_FLAGS)
def test_zero_and_65535_are_ports(command: str, flag: str) -> None:
    for value in ("0", "65535"):
        parsed = vars(build_parser().parse_args([command, flag, value]))
        assert parsed[flag.removeprefix("--").replace("-", "_")] == int(value)
