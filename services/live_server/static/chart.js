// The price chart: a hand-drawn <canvas>. Prices, open orders (horizontal lines) and fills
// (triangles). Number() is used for pixel positions only; every price *label* is the exact
// decimal string the server sent.

import { clockUTC } from "./time.js";

const COLORS = {
  grid: "rgba(133, 146, 163, 0.12)",
  axis: "#8592a3",
  line: "#5aa9ff",
  areaTop: "rgba(90, 169, 255, 0.22)",
  areaBottom: "rgba(90, 169, 255, 0.0)",
  buy: "#2fbf71",
  sell: "#f0524d",
  buyLine: "rgba(47, 191, 113, 0.75)",
  sellLine: "rgba(240, 82, 77, 0.75)",
  labelText: "#0b0f14",
  crosshair: "rgba(213, 221, 231, 0.35)",
};
const FONT = '11px ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace';
const AXIS_WIDTH = 84;
const LABEL_HEIGHT = 15;
const EDGE_ROW = 18; // height of an "orders beyond the view" marker
const MIN_SPAN_MS = 30_000;
// A label may sit this far from its line (a leader line joins them), no further.
const MAX_SHIFT = 3 * LABEL_HEIGHT;
// The prices in view keep at least this share of the height: nearby orders widen the axis
// only within that budget; the others are marked at the edge, not drawn to scale.
const PRICE_SHARE = 0.6;
// Air above and below the prices in view, as a share of their range.
const MARGIN = 0.08;

function niceStep(span, targetTicks) {
  const raw = span / Math.max(1, targetTicks);
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * power >= raw) return m * power;
  }
  return 10 * power;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]
  .map((s) => s * 1000);

// A "HH:MM:SS" label is about 50 px wide: ticks closer than this would overlap.
const TIME_LABEL_SPACING = 70;

/**
 * The time ticks [t, x] to label: the coarsest round step giving about one label per
 * 110 px, made finer while that leaves fewer than two inside the plot (a 15-minute
 * window on a phone would otherwise get one 10-minute tick, often too near an edge to be
 * drawn, and no time on the axis at all).
 */
function timeTicks(start, end, width, xOf, plot) {
  const span = end - start;
  const target = Math.max(2, Math.floor(width / 110));
  let index = TIME_STEPS.findIndex((s) => span / s <= target);
  if (index < 0) index = TIME_STEPS.length - 1;
  const at = (step) => {
    const ticks = [];
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
      const x = xOf(t);
      if (x >= plot.left + 20 && x <= plot.right - 20) ticks.push([t, x]);
    }
    return ticks;
  };
  let ticks = at(TIME_STEPS[index]);
  while (ticks.length < 2 && index > 0) {
    const finer = at(TIME_STEPS[index - 1]);
    if (finer.length > 1 && width / finer.length < TIME_LABEL_SPACING) break;
    ticks = finer;
    index -= 1;
  }
  return ticks;
}

/**
 * Lay out right-axis labels in one column without overlaps: labels that would collide are
 * stacked into a cluster centred on their lines (a pinned label, the last price, stays on its
 * line), clusters that then touch are merged, and everything stays between top and bottom.
 * Order is kept, so leader lines never cross.
 */
function stackLabels(items, top, bottom) {
  const half = LABEL_HEIGHT / 2;
  const place = (cluster) => {
    const n = cluster.items.length;
    const pinned = cluster.items.findIndex((item) => item.pinned);
    let start =
      pinned >= 0
        ? cluster.items[pinned].y - half - pinned * LABEL_HEIGHT
        : cluster.items.reduce((sum, item, k) => sum + item.y - half - k * LABEL_HEIGHT, 0) / n;
    start = Math.min(Math.max(start, top), bottom - n * LABEL_HEIGHT);
    cluster.start = start;
  };
  const clusters = [];
  for (const item of [...items].sort((a, b) => a.y - b.y)) {
    const cluster = { items: [item], start: 0 };
    place(cluster);
    clusters.push(cluster);
    while (clusters.length > 1) {
      const last = clusters[clusters.length - 1];
      const before = clusters[clusters.length - 2];
      if (before.start + before.items.length * LABEL_HEIGHT <= last.start) break;
      before.items.push(...last.items);
      clusters.pop();
      place(before);
    }
  }
  return clusters.flatMap((c) => c.items.map((item, k) => ({ ...item, ly: c.start + half + k * LABEL_HEIGHT })));
}

/**
 * Choose and place labels by priority (the array's order: the last price, then the orders
 * nearest to it). A label is taken if the column still has room and no label has to move
 * further than MAX_SHIFT from its line; otherwise it is left out (its line is still drawn).
 */
function placeLabels(labels, top, bottom) {
  const capacity = Math.floor((bottom - top) / LABEL_HEIGHT);
  let placed = [];
  const chosen = [];
  for (const label of labels) {
    if (chosen.length >= capacity) break;
    const trial = stackLabels([...chosen, label], top, bottom);
    if (trial.every((l) => Math.abs(l.ly - l.y) <= MAX_SHIFT || l.pinned)) {
      chosen.push(label);
      placed = trial;
    }
  }
  return placed;
}

export class PriceChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} tip hover tooltip element
   * @param {HTMLElement} empty "waiting for prices" overlay
   */
  constructor(canvas, tip, empty) {
    this.canvas = canvas;
    this.tip = tip;
    this.empty = empty;
    this.ctx = canvas.getContext("2d");
    this.rangeMs = 15 * 60_000;
    this.data = { prices: [], orders: [], fills: [], lastPrice: null };
    this.hover = null;
    this.size = { w: 0, h: 0, dpr: 0 };
    new ResizeObserver(() => this.draw()).observe(canvas.parentElement);
    canvas.addEventListener("mousemove", (e) => {
      const r = canvas.getBoundingClientRect();
      this.hover = { x: e.clientX - r.left, y: e.clientY - r.top };
      this.draw();
    });
    canvas.addEventListener("mouseleave", () => {
      this.hover = null;
      this.draw();
    });
  }

  setRange(seconds) {
    this.rangeMs = seconds > 0 ? seconds * 1000 : 0;
    this.draw();
  }

  /** prices: [{t, v, s}] sorted by t; orders: [{v, s, side, pending}]; fills: [{t, v, s, side}]. */
  setData(data) {
    this.data = data;
    this.draw();
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, this.canvas.clientWidth);
    const h = Math.max(1, this.canvas.clientHeight);
    if (w !== this.size.w || h !== this.size.h || dpr !== this.size.dpr) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
      this.size = { w, h, dpr };
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return this.size;
  }

  draw() {
    const { w, h } = this.resize();
    const ctx = this.ctx;
    const { prices, orders, fills } = this.data;
    ctx.clearRect(0, 0, w, h);
    ctx.font = FONT;
    ctx.textBaseline = "middle";

    const plot = { left: 6, right: w - AXIS_WIDTH, top: 10, bottom: h - 24 };
    if (plot.right - plot.left < 40 || plot.bottom - plot.top < 40) return;

    // ---- x domain: the chosen window ending now (or at the newest data, if later).
    const now = Date.now();
    const lastT = prices.length ? prices[prices.length - 1].t : NaN;
    const lastFillT = fills.length ? fills[fills.length - 1].t : NaN;
    let end = Math.max(now, Number.isFinite(lastT) ? lastT : 0, Number.isFinite(lastFillT) ? lastFillT : 0);
    const firstT = prices.length ? prices[0].t : end - MIN_SPAN_MS;
    let start = this.rangeMs > 0 ? Math.max(end - this.rangeMs, firstT) : firstT;
    if (end - start < MIN_SPAN_MS) start = end - MIN_SPAN_MS;
    end += (end - start) * 0.015; // a little air on the right
    const xOf = (t) => plot.left + ((t - start) / (end - start)) * (plot.right - plot.left);

    // Visible points, plus the one before the window so the line enters from the left edge.
    let from = 0;
    while (from < prices.length && prices[from].t < start) from++;
    const visible = prices.slice(Math.max(0, from - 1));
    const shownFills = fills.filter((f) => f.t >= start && f.t <= end && Number.isFinite(f.v));

    // ---- y domain: the prices in view (and the fills among them), with a margin. Orders do
    // not stretch it: a far order would squash the price line into a strip. Orders near the
    // price widen it within a budget; the rest are marked at the top or bottom edge.
    let lo = Infinity;
    let hi = -Infinity;
    const take = (v) => {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    };
    visible.forEach((p) => take(p.v));
    shownFills.forEach((f) => take(f.v));
    if (!Number.isFinite(lo)) orders.forEach((o) => take(o.v)); // no price yet: the orders

    this.canvas.dataset.points = String(prices.length);
    this.canvas.dataset.orderLines = String(orders.length);
    this.canvas.dataset.fillMarkers = String(shownFills.length);
    this.canvas.dataset.lastPrice = this.data.lastPrice ?? "";
    this.empty.hidden = prices.length > 0;

    if (!Number.isFinite(lo)) {
      this.canvas.dataset.priceFill = "0";
      this.canvas.dataset.ordersAbove = "0";
      this.canvas.dataset.ordersBelow = "0";
      this.canvas.dataset.orderLabels = "0";
      this.drawTimeAxis(plot, start, end, xOf);
      return;
    }
    const priceLo = lo;
    const priceHi = hi;
    const mid = (lo + hi) / 2;
    const core = Math.max(hi - lo, Math.abs(mid) * 0.002, 1e-8);
    if (hi - lo < core) {
      lo = mid - core / 2;
      hi = mid + core / 2;
    }
    const pad = core * MARGIN;
    lo -= pad;
    hi += pad;
    const budget = (core * (1 + 2 * MARGIN)) / PRICE_SHARE;
    const ref = prices.length ? prices[prices.length - 1].v : mid;
    for (const o of [...orders].sort((a, b) => Math.abs(a.v - ref) - Math.abs(b.v - ref))) {
      const wantLo = Math.min(lo, o.v - pad / 2);
      const wantHi = Math.max(hi, o.v + pad / 2);
      if (wantHi - wantLo <= budget) {
        lo = wantLo;
        hi = wantHi;
      }
    }
    const above = orders.filter((o) => o.v > hi).sort((a, b) => a.v - b.v);
    const below = orders.filter((o) => o.v < lo).sort((a, b) => b.v - a.v);
    const inView = orders.filter((o) => o.v >= lo && o.v <= hi);
    // The rows of the "orders beyond" markers are kept free of lines and labels.
    const scale = {
      top: plot.top + (above.length ? EDGE_ROW : 0),
      bottom: plot.bottom - (below.length ? EDGE_ROW : 0),
    };
    this.canvas.dataset.ordersAbove = String(above.length);
    this.canvas.dataset.ordersBelow = String(below.length);
    const yOf = (v) => scale.bottom - ((v - lo) / (hi - lo)) * (scale.bottom - scale.top);
    // for tests: the share of the plot's height the prices in view span
    this.canvas.dataset.priceFill = ((yOf(priceLo) - yOf(priceHi)) / (plot.bottom - plot.top)).toFixed(3);

    // ---- right-axis labels (orders and the last price), laid out first so ticks can avoid them.
    // A row at an edge is kept free for the "orders beyond" marker when there is one.
    const orderLabels = inView.map((o) => ({
      y: yOf(o.v),
      text: o.s,
      color: o.side === "SELL" ? COLORS.sell : COLORS.buy,
      pending: o.pending,
    }));
    const lastPoint = prices[prices.length - 1];
    const lastY = lastPoint ? yOf(lastPoint.v) : (plot.top + plot.bottom) / 2;
    // Priority: the last price, then the orders nearest to it.
    orderLabels.sort((l1, l2) => Math.abs(l1.y - lastY) - Math.abs(l2.y - lastY));
    if (lastPoint) orderLabels.unshift({ y: lastY, text: lastPoint.s, color: COLORS.line, last: true, pinned: true });
    const labels = placeLabels(orderLabels, scale.top, scale.bottom);
    const labelled = labels.filter((l) => !l.last);
    this.canvas.dataset.orderLabels = String(labelled.length);
    this.canvas.dataset.labels = JSON.stringify(labels.map((l) => ({ text: l.text, y: Math.round(l.y), ly: Math.round(l.ly), last: Boolean(l.last) })));

    // ---- horizontal grid + price axis ticks
    const step = niceStep(hi - lo, Math.max(3, Math.floor((plot.bottom - plot.top) / 55)));
    const decimals = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = "left";
    for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
      const y = Math.round(yOf(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(plot.left, y);
      ctx.lineTo(plot.right, y);
      ctx.stroke();
      if (!labels.some((l) => Math.abs(l.ly - y) < LABEL_HEIGHT)) ctx.fillText(v.toFixed(decimals), plot.right + 8, y);
    }
    this.drawTimeAxis(plot, start, end, xOf);

    // ---- the price line with a soft area under it
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top);
    ctx.clip();
    if (visible.length) {
      const path = new Path2D();
      visible.forEach((p, i) => (i ? path.lineTo(xOf(p.t), yOf(p.v)) : path.moveTo(xOf(p.t), yOf(p.v))));
      const last = visible[visible.length - 1];
      path.lineTo(plot.right, yOf(last.v)); // the price holds until the next tick
      const area = new Path2D(path);
      area.lineTo(plot.right, plot.bottom);
      area.lineTo(xOf(visible[0].t), plot.bottom);
      area.closePath();
      const gradient = ctx.createLinearGradient(0, plot.top, 0, plot.bottom);
      gradient.addColorStop(0, COLORS.areaTop);
      gradient.addColorStop(1, COLORS.areaBottom);
      ctx.fillStyle = gradient;
      ctx.fill(area);
      ctx.strokeStyle = COLORS.line;
      ctx.lineWidth = 1.75;
      ctx.lineJoin = "round";
      ctx.stroke(path);
      // the newest tick
      ctx.fillStyle = COLORS.line;
      ctx.beginPath();
      ctx.arc(xOf(last.t), yOf(last.v), 3, 0, Math.PI * 2);
      ctx.fill();
    }

    // ---- open orders in view: one horizontal line each
    for (const o of inView) {
      const y = Math.round(yOf(o.v)) + 0.5;
      ctx.strokeStyle = o.side === "SELL" ? COLORS.sellLine : COLORS.buyLine;
      ctx.lineWidth = 1;
      ctx.setLineDash(o.pending ? [3, 4] : [8, 4]);
      ctx.beginPath();
      ctx.moveTo(plot.left, y);
      ctx.lineTo(plot.right, y);
      ctx.stroke();
    }
    ctx.setLineDash([]);

    // ---- fills: ▲ under a buy's price, ▼ over a sell's price
    for (const f of shownFills) {
      const x = xOf(f.t);
      const y = yOf(f.v);
      const buy = f.side === "BUY";
      ctx.beginPath();
      if (buy) {
        ctx.moveTo(x, y + 2);
        ctx.lineTo(x - 6, y + 12);
        ctx.lineTo(x + 6, y + 12);
      } else {
        ctx.moveTo(x, y - 2);
        ctx.lineTo(x - 6, y - 12);
        ctx.lineTo(x + 6, y - 12);
      }
      ctx.closePath();
      ctx.fillStyle = buy ? COLORS.buy : COLORS.sell;
      ctx.strokeStyle = "#0b0f14";
      ctx.lineWidth = 1.5;
      ctx.stroke();
      ctx.fill();
    }
    ctx.restore();

    // ---- the last price: a dotted guide across the plot
    if (lastPoint) {
      const y = Math.round(yOf(lastPoint.v)) + 0.5;
      ctx.strokeStyle = "rgba(90, 169, 255, 0.5)";
      ctx.setLineDash([2, 3]);
      ctx.beginPath();
      ctx.moveTo(plot.left, y);
      ctx.lineTo(plot.right, y);
      ctx.stroke();
      ctx.setLineDash([]);
    }

    // ---- right-axis labels, never overlapping (a leader line when one had to move)
    ctx.textAlign = "left";
    for (const l of labels) {
      const width = Math.min(AXIS_WIDTH - 6, ctx.measureText(l.text).width + 10);
      const x = plot.right + 3;
      if (Math.abs(l.ly - l.y) > 1) {
        ctx.strokeStyle = l.color;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(plot.right - 4, l.y);
        ctx.lineTo(x, l.ly);
        ctx.stroke();
      }
      ctx.fillStyle = l.color;
      ctx.globalAlpha = l.pending ? 0.55 : 1;
      ctx.fillRect(x, Math.round(l.ly - LABEL_HEIGHT / 2) + 0.5, width, LABEL_HEIGHT - 1);
      ctx.globalAlpha = 1;
      ctx.fillStyle = COLORS.labelText;
      ctx.font = l.last ? `bold ${FONT}` : FONT;
      ctx.fillText(l.text, x + 5, l.ly + 0.5, width - 8);
      ctx.font = FONT;
    }

    this.drawBeyond(plot, above, "above");
    this.drawBeyond(plot, below, "below");
    this.drawHover(plot, xOf, yOf, start, end, lo, hi);
  }

  /** Orders beyond the view: a marker at that edge with how many and the nearest price. */
  drawBeyond(plot, orders, where) {
    if (!orders.length) return;
    const ctx = this.ctx;
    const nearest = orders[0];
    const up = where === "above";
    const more = orders.length > 1 ? ` (+${orders.length - 1} more)` : "";
    const text = `${up ? "▲" : "▼"} ${nearest.side === "SELL" ? "sell" : "buy"} ${nearest.s}${more} ${where}`;
    ctx.font = FONT;
    const width = ctx.measureText(text).width + 12;
    const x = Math.max(plot.left, plot.right - width - 4);
    const y = up ? plot.top + 1 : plot.bottom - EDGE_ROW + 1;
    ctx.fillStyle = "rgba(11, 15, 20, 0.85)";
    ctx.strokeStyle = nearest.side === "SELL" ? COLORS.sellLine : COLORS.buyLine;
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    ctx.fillRect(x, y, width, EDGE_ROW - 3);
    ctx.strokeRect(x + 0.5, y + 0.5, width - 1, EDGE_ROW - 4);
    ctx.fillStyle = nearest.side === "SELL" ? COLORS.sell : COLORS.buy;
    ctx.textAlign = "left";
    ctx.fillText(text, x + 6, y + (EDGE_ROW - 3) / 2 + 0.5);
  }

  drawTimeAxis(plot, start, end, xOf) {
    const ctx = this.ctx;
    const width = plot.right - plot.left;
    const ticks = timeTicks(start, end, width, (t) => Math.round(xOf(t)) + 0.5, plot);
    ctx.strokeStyle = COLORS.grid;
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = "center";
    ctx.lineWidth = 1;
    for (const [t, x] of ticks) {
      ctx.beginPath();
      ctx.moveTo(x, plot.top);
      ctx.lineTo(x, plot.bottom);
      ctx.stroke();
      ctx.fillText(clockUTC(t), x, plot.bottom + 12);
    }
    this.canvas.dataset.timeLabels = String(ticks.length);
    ctx.strokeStyle = "rgba(133, 146, 163, 0.35)";
    ctx.beginPath();
    ctx.moveTo(plot.left, plot.bottom + 0.5);
    ctx.lineTo(plot.right, plot.bottom + 0.5);
    ctx.moveTo(plot.right + 0.5, plot.top);
    ctx.lineTo(plot.right + 0.5, plot.bottom);
    ctx.stroke();
  }

  drawHover(plot, xOf, yOf, start, end) {
    const tip = this.tip;
    const hover = this.hover;
    const { prices } = this.data;
    if (!hover || !prices.length || hover.x < plot.left || hover.x > plot.right) {
      tip.hidden = true;
      return;
    }
    const t = start + ((hover.x - plot.left) / (plot.right - plot.left)) * (end - start);
    // the tick in force at t: the last one at or before it
    let lo = 0;
    let hi = prices.length - 1;
    if (t < prices[0].t) {
      tip.hidden = true;
      return;
    }
    while (lo < hi) {
      const m = (lo + hi + 1) >> 1;
      if (prices[m].t <= t) lo = m;
      else hi = m - 1;
    }
    const p = prices[lo];
    const ctx = this.ctx;
    const x = Math.round(hover.x) + 0.5;
    const y = Math.round(yOf(p.v)) + 0.5;
    ctx.strokeStyle = COLORS.crosshair;
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(x, plot.top);
    ctx.lineTo(x, plot.bottom);
    ctx.moveTo(plot.left, y);
    ctx.lineTo(plot.right, y);
    ctx.stroke();
    ctx.setLineDash([]);
    tip.hidden = false;
    tip.textContent = `${clockUTC(t)}  ${p.s}`;
    const left = Math.min(hover.x + 12, plot.right - tip.offsetWidth - 4);
    tip.style.left = `${Math.max(plot.left, left)}px`;
    tip.style.top = `${Math.max(plot.top, Math.min(y - 28, plot.bottom - 24))}px`;
  }
}
