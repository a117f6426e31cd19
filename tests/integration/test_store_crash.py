"""A committed SQLite save survives the writer being killed with SIGKILL right after."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

from gridops.market_maker.domain.risk_state import RiskState
from gridops.market_maker.domain.slots import Direction, SlotState
from gridops.market_maker.store import SqlStore

# Runs in a child process: save, then die at once, with no chance to clean up.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from decimal import Decimal
    from gridops.market_maker.domain.risk_state import RiskState
    from gridops.market_maker.domain.slots import Direction, Slot, SlotState
    from gridops.market_maker.store import SqlStore, StrategyMeta
    from gridops.models import Fill, Side

    now = datetime.now(UTC)
    store = SqlStore(sys.argv[1], "crashy")
    store.save(meta=StrategyMeta("BTC/USDT", now, now))
    for level in range(20):
        store.save(
            slots=[Slot(level, Direction.LONG, SlotState.HOLDING, Decimal(level) / 3)],
            fills=[Fill(f"t{level}", "o", "c", "BTC/USDT", Side.BUY, Decimal(1),
                        Decimal(1), Decimal(0), "USDT", True, now)],
        )
    store.save(risk=RiskState(halted=True, reason="last words", since=now))
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_sqlite_commit_survives_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crash.db"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    # The WAL was never checkpointed into the main file: reopening must replay it.
    assert (tmp_path / "crash.db-wal").stat().st_size > 0

    with SqlStore(url, "crashy") as store:
        state = store.load()
    assert state is not None
    assert [(s.level, s.state, s.holding) for s in state.slots] == [
        (level, SlotState.HOLDING, Decimal(level) / 3) for level in range(20)
    ]
    assert all(s.direction is Direction.LONG for s in state.slots)
    assert [f.trade_id for f in state.fills] == [f"t{level}" for level in range(20)]
    assert state.risk.halted
    assert state.risk.reason == "last words"
    assert state.risk != RiskState()
