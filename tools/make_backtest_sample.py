"""Write the example backtest data: examples/backtest/BTCUSDT-1m-sample.csv and its CHECKSUM.

Seven days of generated 1-minute candles (10,080 rows) in Binance's public-data kline
format (no header, epoch milliseconds), so `gridops backtest` has a file to run on without
a download. It is a seeded random walk around 50,000, not market data: each minute's
close moves by a normal step (about 0.06 % of the price, pulled gently back toward
50,000), and the high and low reach past the open and close by a few hundredths of a
percent, roughly the size of BTCUSDT's 1-minute candles.

Deterministic: integer cents and IEEE arithmetic only (no math.exp, whose last bit may
differ between C libraries), so rerunning writes the same bytes.

Usage: python tools/make_backtest_sample.py [--out DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import random
from pathlib import Path

NAME = "BTCUSDT-1m-sample.csv"
SEED = 20240101
START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z
MINUTES = 7 * 24 * 60
CENTER_CENTS = 5_000_000  # 50,000.00
STEP = 0.0006  # the standard deviation of one minute's move, relative to the price
PULL = 0.002  # the part of the distance from 50,000 taken back each minute
WICK = 0.00025  # the mean reach of the high and low past the open and close, relative
ROOT = Path(__file__).resolve().parents[1]


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def candles(seed: int = SEED) -> list[str]:
    """The CSV lines (no newline): Binance's 12 kline columns, prices to 2 decimals."""
    rng = random.Random(seed)
    lines = []
    close = CENTER_CENTS
    for minute in range(MINUTES):
        opened = close  # Binance's next candle opens at the previous close
        pull = PULL * (CENTER_CENTS - opened)
        close = max(100, round(opened + pull + rng.gauss(0.0, STEP) * opened))
        high = max(opened, close) + round(rng.expovariate(1 / WICK) * opened)
        low = max(1, min(opened, close) - round(rng.expovariate(1 / WICK) * opened))
        volume = rng.randint(10, 1_500)  # 0.10 to 15.00 BTC, in hundredths
        taker = rng.randint(0, volume)  # the part bought by takers
        average = (opened + close + high + low) // 4
        open_ms = START_MS + minute * 60_000
        fields = [
            str(open_ms),
            _money(opened),
            _money(high),
            _money(low),
            _money(close),
            _money(volume),
            str(open_ms + 59_999),
            _money(volume * average // 100),
            str(volume // 5 + rng.randint(1, 50)),
            _money(taker),
            _money(taker * average // 100),
            "0",
        ]
        lines.append(",".join(fields))
    return lines


def write_sample(directory: Path) -> tuple[Path, Path]:
    """Write the CSV and its Binance-style CHECKSUM (`<sha256>  <name>`) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    data = ("\n".join(candles()) + "\n").encode()
    csv_path = directory / NAME
    csv_path.write_bytes(data)
    checksum_path = directory / f"{NAME}.CHECKSUM"
    checksum_path.write_text(f"{hashlib.sha256(data).hexdigest()}  {NAME}\n")
    return csv_path, checksum_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "backtest")
    args = parser.parse_args()
    for path in write_sample(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
