"""Draw the Grafana dashboard's panels from a real Prometheus, as one PNG.

No Grafana runs where this project is built (docs/operations.md says why), so this is how
docs/img/operations-dashboard.png shows what the dashboard's queries return on a live
stack: each time-series panel's PromQL, run as a range query over the last minutes, drawn
with matplotlib in the panel's place. It is not Grafana's rendering; the queries are the
dashboard's own, with `$strategy` as `.*` and `$__rate_interval` as `--rate-interval`.

Usage (with `make compose-up` running):
  python tools/render_dashboard.py --prometheus http://127.0.0.1:9090 --minutes 10 \\
      --out docs/img/operations-dashboard.png
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

DASHBOARD = Path(__file__).resolve().parents[1] / "charts/gridops/files/grafana/gridops.json"


def _expand(expr: str, rate_interval: str) -> str:
    return (
        expr.replace('=~"$strategy"', '=~".*"')
        .replace("$__rate_interval", rate_interval)
        .replace("$__interval", rate_interval)
    )


def _legend(template: str, labels: dict[str, str]) -> str:
    text = template
    for key, value in labels.items():
        text = text.replace("{{" + key + "}}", value).replace("{{ " + key + " }}", value)
    return text or ",".join(f"{k}={v}" for k, v in labels.items() if k != "__name__")


def _styles(panel: dict[str, Any]) -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    """The panel's by-name overrides this drawing honours: right axis, dashes, bars."""
    styles = []
    for override in panel.get("fieldConfig", {}).get("overrides", []):
        matcher = override.get("matcher", {})
        if matcher.get("id") != "byRegexp":
            continue
        props = {prop["id"]: prop["value"] for prop in override.get("properties", [])}
        styles.append((re.compile(matcher["options"]), props))
    return styles


def _style_of(label: str, styles: list[tuple[re.Pattern[str], dict[str, Any]]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for pattern, props in styles:
        if pattern.fullmatch(label):
            merged.update(props)
    return merged


def _range(base: str, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{base}/api/v1/query_range?{query}", timeout=10) as response:
        body = json.load(response)
    if body.get("status") != "success":
        raise ValueError(f"{expr}: {body.get('error')}")
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prometheus", default="http://127.0.0.1:9090")
    parser.add_argument("--dashboard", type=Path, default=DASHBOARD)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate-interval", default="1m")
    parser.add_argument("--out", type=Path, required=True)
    ns = parser.parse_args()

    dashboard = json.loads(ns.dashboard.read_text())
    panels = [p for p in dashboard["panels"] if p.get("type") == "timeseries"]
    end = time.time()
    start = end - ns.minutes * 60
    step = max(1.0, ns.minutes * 60 / 300)
    columns = 3
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 3.2 * rows), squeeze=False)
    empty: list[str] = []
    for index, panel in enumerate(panels):
        ax = axes[index // columns][index % columns]
        ax.set_title(panel["title"], fontsize=10, loc="left")
        drawn = 0
        right = None
        styles = _styles(panel)
        for target in panel.get("targets", []):
            expr = _expand(target["expr"], ns.rate_interval)
            try:
                series = _range(ns.prometheus, expr, start, end, step)
            except (OSError, urllib.error.URLError, ValueError) as error:
                print(f"render: {panel['title']}: {error}", file=sys.stderr)
                return 1
            for item in series:
                points = [(float(t), float(v)) for t, v in item["values"]]
                if all(math.isnan(v) for _, v in points):
                    continue  # Grafana draws nothing and lists nothing for it either
                label = _legend(target.get("legendFormat", ""), item["metric"])
                style = _style_of(label, styles)
                on = ax
                if style.get("custom.axisPlacement") == "right":
                    right = right or ax.twinx()
                    on = right
                dashed = "dash" in str(style.get("custom.lineStyle", ""))
                on.plot(
                    [datetime.fromtimestamp(t, UTC) for t, _ in points],
                    [v for _, v in points],
                    label=label,
                    linewidth=1.2,
                    linestyle="--" if dashed else "-",
                    color=f"C{drawn % 10}",
                )
                drawn += 1
        if drawn:
            handles, labels = ax.get_legend_handles_labels()
            if right is not None:
                more = right.get_legend_handles_labels()
                handles, labels = handles + more[0], labels + more[1]
                right.tick_params(labelsize=7)
            shown = 8  # a legend longer than the panel hides it
            if len(labels) > shown:
                labels = [*labels[: shown - 1], f"... and {len(labels) - shown + 1} more"]
                handles = handles[:shown]
            ax.legend(handles, labels, fontsize=7, loc="upper left")
        else:
            empty.append(panel["title"])
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for index in range(len(panels), rows * columns):
        axes[index // columns][index % columns].axis("off")
    title = dashboard.get("title", "gridops")
    figure.suptitle(
        f"{title}: the dashboard's queries over {ns.minutes:.0f} min "
        f"(Prometheus {ns.prometheus}, drawn by tools/render_dashboard.py, not Grafana)",
        fontsize=11,
    )
    figure.autofmt_xdate()
    figure.tight_layout()
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(ns.out, dpi=90)
    print(f"render: {len(panels)} panels to {ns.out}" + (f"; no data: {empty}" if empty else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
