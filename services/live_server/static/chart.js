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
const MIN_SPAN_MS = 30_000;
const MAX_NUDGE = 4;

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

/**
 * Place labels by priority (the array's order): each at its own y, nudged by at most
 * MAX_NUDGE px to clear the ones already placed, or left out (its line is still drawn).
 */
function placeLabels(labels, top, bottom) {
  const half = LABEL_HEIGHT / 2;
  const placed = [];
  const free = (y) => y >= top + half && y <= bottom - half && placed.every((p) => Math.abs(p.ly - y) >= LABEL_HEIGHT);
  for (const label of labels) {
    const y = Math.min(Math.max(label.y, top + half), bottom - half);
    const candidates = [y, ...placed.flatMap((p) => [p.ly - LABEL_HEIGHT, p.ly + LABEL_HEIGHT])]
      .filter((c) => Math.abs(c - y) <= MAX_NUDGE && free(c))
      .sort((c1, c2) => Math.abs(c1 - y) - Math.abs(c2 - y));
    if (candidates.length) placed.push({ ...label, ly: candidates[0] });
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

    // ---- y domain: visible prices, every open order, visible fills.
    let lo = Infinity;
    let hi = -Infinity;
    const take = (v) => {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    };
    visible.forEach((p) => take(p.v));
    orders.forEach((o) => take(o.v));
    shownFills.forEach((f) => take(f.v));

    this.canvas.dataset.points = String(prices.length);
    this.canvas.dataset.orderLines = String(orders.length);
    this.canvas.dataset.fillMarkers = String(shownFills.length);
    this.canvas.dataset.lastPrice = this.data.lastPrice ?? "";
    this.empty.hidden = prices.length > 0;

    if (!Number.isFinite(lo)) {
      this.drawTimeAxis(plot, start, end, xOf);
      return;
    }
    const mid = (lo + hi) / 2;
    const minSpan = Math.max(Math.abs(mid) * 0.002, 1e-8);
    if (hi - lo < minSpan) {
      lo = mid - minSpan / 2;
      hi = mid + minSpan / 2;
    }
    const padY = (hi - lo) * 0.08;
    lo -= padY;
    hi += padY;
    const yOf = (v) => plot.bottom - ((v - lo) / (hi - lo)) * (plot.bottom - plot.top);

    // ---- right-axis labels (orders and the last price), laid out first so ticks can avoid them
    const orderLabels = orders.map((o) => ({
      y: yOf(o.v),
      text: o.s,
      color: o.side === "SELL" ? COLORS.sell : COLORS.buy,
      pending: o.pending,
    }));
    const lastPoint = prices[prices.length - 1];
    const lastY = lastPoint ? yOf(lastPoint.v) : (plot.top + plot.bottom) / 2;
    // Priority: the last price, then the orders nearest to it.
    orderLabels.sort((l1, l2) => Math.abs(l1.y - lastY) - Math.abs(l2.y - lastY));
    if (lastPoint) orderLabels.unshift({ y: lastY, text: lastPoint.s, color: COLORS.line, last: true });
    const labels = placeLabels(orderLabels, plot.top, plot.bottom);

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

    // ---- open orders: one horizontal line each
    for (const o of orders) {
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

    this.drawHover(plot, xOf, yOf, start, end, lo, hi);
  }

  drawTimeAxis(plot, start, end, xOf) {
    const ctx = this.ctx;
    const span = end - start;
    const target = Math.max(2, Math.floor((plot.right - plot.left) / 110));
    const step = TIME_STEPS.find((s) => span / s <= target) ?? TIME_STEPS[TIME_STEPS.length - 1];
    ctx.strokeStyle = COLORS.grid;
    ctx.fillStyle = COLORS.axis;
    ctx.textAlign = "center";
    ctx.lineWidth = 1;
    for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
      const x = Math.round(xOf(t)) + 0.5;
      if (x < plot.left + 20 || x > plot.right - 20) continue;
      ctx.beginPath();
      ctx.moveTo(x, plot.top);
      ctx.lineTo(x, plot.bottom);
      ctx.stroke();
      ctx.fillText(clockUTC(t), x, plot.bottom + 12);
    }
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
