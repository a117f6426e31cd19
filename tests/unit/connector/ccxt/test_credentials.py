"""--credentials-file: read once, never echoed; a bad file is exit 2 naming the flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridops import cli
from gridops.connector.ccxt.credentials import Credentials, load_credentials
from gridops.startup import StartupError

SECRET = "s3cr3t-value-never-shown"


def test_a_good_file_gives_key_and_secret_and_repr_hides_both(tmp_path: Path) -> None:
    path = tmp_path / "creds.yaml"
    path.write_text(f"apiKey: my-key\nsecret: {SECRET}\n")
    creds = load_credentials(path)
    assert (creds.api_key, creds.secret) == ("my-key", SECRET)
    assert SECRET not in repr(creds)
    assert "my-key" not in repr(creds)
    assert creds.redact(f"venue said {SECRET} / my-key") == "venue said *** / ***"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"apiKey: k\nsecret: [{SECRET}\n", "not valid YAML"),
        ("- k\n- s\n", "mapping"),
        ("apiKey: k\n", "secret is missing"),
        (f"secret: {SECRET}\n", "apiKey is missing"),
        (f"apiKey: k\nsecret: {SECRET}\nsecrte: x\n", "unknown keys secrte"),
        (f"apiKey: 12\nsecret: {SECRET}\n", "apiKey must be a string"),
        ('apiKey: k\nsecret: "  "\n', "secret is missing or empty"),
    ],
)
def test_bad_files_name_the_flag_and_never_the_secret(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "creds.yaml"
    path.write_text(text)
    with pytest.raises(StartupError) as info:
        load_credentials(path)
    message = str(info.value)
    assert "--credentials-file" in message
    assert reason in message
    assert SECRET not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match=r"--credentials-file .*nope.yaml: cannot read"):
        load_credentials(tmp_path / "nope.yaml")


def test_cli_exits_2_naming_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRIDOPS_CONNECTOR_API_KEY", raising=False)
    monkeypatch.delenv("GRIDOPS_CONNECTOR_API_SECRET", raising=False)
    bad = tmp_path / "creds.yaml"
    bad.write_text(f"apiKey: k\nsecret: [{SECRET}\n")
    cases = [
        (["--credentials-file", str(tmp_path / "missing.yaml")], "--credentials-file"),
        (["--credentials-file", str(bad)], "not valid YAML"),
        ([], "--credentials-file"),  # a ccxt exchange needs keys
    ]
    for extra, expected in cases:
        with pytest.raises(SystemExit) as info:
            cli.main(["connector", "--exchange", "binance", "--port", "0", "--no-metrics",
                      *extra])  # fmt: skip
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert expected in err
        assert SECRET not in err
        assert "Traceback" not in err


def test_env_credentials_and_sim_only_flags(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDOPS_CONNECTOR_API_KEY", "k")
    monkeypatch.delenv("GRIDOPS_CONNECTOR_API_SECRET", raising=False)
    with pytest.raises(SystemExit):
        cli.main(["connector", "--exchange", "binance", "--no-metrics"])
    assert "GRIDOPS_CONNECTOR_API_SECRET go together" in capsys.readouterr().err
    monkeypatch.delenv("GRIDOPS_CONNECTOR_API_KEY")
    with pytest.raises(SystemExit):
        cli.main(["connector", "--exchange", "sim", "--no-metrics", "--api-url", "http://x"])
    assert "--api-url: only for a ccxt exchange" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["connector", "--exchange", "binance", "--no-metrics", "--sim-seed", "3"])
    assert "--sim-seed: only for --exchange sim" in capsys.readouterr().err


def test_credentials_type_is_frozen() -> None:
    creds = Credentials("a", "b")
    with pytest.raises(AttributeError):
        creds.secret = "c"  # type: ignore[misc]


def test_env_keys_reach_the_venue_and_an_unreachable_one_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's way (keys in env from the Secret); nothing listens on port 1."""
    monkeypatch.setenv("GRIDOPS_CONNECTOR_API_KEY", "k")
    monkeypatch.setenv("GRIDOPS_CONNECTOR_API_SECRET", SECRET)
    monkeypatch.setenv("GRIDOPS_CONNECTOR_START_TIMEOUT_SECONDS", "0.5")
    with pytest.raises(SystemExit) as info:
        cli.main(["connector", "--exchange", "binance", "--no-metrics", "--port", "0",
                  "--host", "127.0.0.1", "--api-url", "http://127.0.0.1:1",
                  "--ws-url", "ws://127.0.0.1:1"])  # fmt: skip
    assert info.value.code == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("gridops: binance: cannot load the markets within 0.5s")
    assert "--api-url" in last
    assert SECRET not in last
