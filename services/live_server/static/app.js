// gridops live dashboard. Plain ES modules, no dependencies, no build step.
//
// Data flow (see docs/dashboard.md): one WebSocket to /ws; on every (re)connect the page
// buffers incoming events, fetches the REST snapshot, applies it, then replays the buffer,
// so nothing that happened in between is lost or applied twice. Events only mutate state;
// rendering is coalesced to one pass per animation frame, so bursts of events stay cheap.
// Amounts are shown exactly as the server's decimal strings (the server quantizes them to the
// symbol's tick and step); Number() is used only for chart pixels and for sorting.

import { PriceChart } from "./chart.js";
import { ago, clockMillisUTC, clockUTC, dateTimeUTC, parseTime } from "./time.js";

const OPEN_STATUSES = new Set(["NEW", "PARTIALLY_FILLED"]);
const MAX_PRICES = 5000;
const MAX_FILLS = 500;
const FILLS_SHOWN = 100;
const MAX_TOMBSTONES = 5000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 15000];
const HELLO_GRACE_MS = 1500;

const params = new URLSearchParams(location.search);
const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const el = {
  strategy: byTestId("strategy"),
  symbol: byTestId("symbol"),
  engine: byTestId("engine"),
  price: byTestId("price"),
  priceTime: byTestId("price-time"),
  phase: byTestId("phase"),
  connection: byTestId("connection"),
  connectionText: document.querySelector('[data-testid="connection"] .connection-text'),
  clock: byTestId("clock"),
  risk: byTestId("risk-banner"),
  paused: byTestId("paused-banner"),
  warning: byTestId("warning-banner"),
  chartSymbol: byTestId("chart-symbol"),
  mmName: byTestId("mm-name"),
  position: byTestId("position"),
  mmLastPrice: byTestId("mm-last-price"),
  realized: byTestId("realized-pnl"),
  unrealized: byTestId("unrealized-pnl"),
  fees: byTestId("fees"),
  slotCount: byTestId("slot-count"),
  exchangePosition: byTestId("exchange-position"),
  equity: byTestId("equity"),
  balances: document.querySelector('[data-testid="balances"] tbody'),
  marketMakers: byTestId("market-makers"),
  orders: document.querySelector('[data-testid="orders-table"] tbody'),
  ordersCount: byTestId("orders-count"),
  ordersEmpty: byTestId("orders-empty"),
  fills: document.querySelector('[data-testid="fills-table"] tbody'),
  fillsCount: byTestId("fills-count"),
  fillsEmpty: byTestId("fills-empty"),
  loading: byTestId("loading"),
  loadingText: document.querySelector('[data-testid="loading"] .loading-text'),
  chartEmpty: byTestId("chart-empty"),
  units: {
    position: byTestId("position-unit"),
    price: byTestId("price-unit"),
    pnl: byTestId("pnl-unit"),
    unrealized: byTestId("unrealized-unit"),
    fees: byTestId("fees-unit"),
    orders: byTestId("orders-units"),
    fills: byTestId("fills-units"),
  },
  exchangeBox: byTestId("exchange-box"),
  exchangeSymbol: byTestId("exchange-symbol"),
  controlMode: byTestId("control-mode"),
  controlState: byTestId("control-state"),
  controlButtons: byTestId("control-buttons"),
  controlCommands: byTestId("control-commands"),
  controlResult: byTestId("control-result"),
  confirm: byTestId("confirm-dialog"),
  confirmTitle: byTestId("confirm-title"),
  confirmText: byTestId("confirm-text"),
  confirmOk: byTestId("confirm-ok"),
};

// ------------------------------------------------------------------ state

const state = {
  symbol: params.get("symbol") || null,
  symbolPinned: Boolean(params.get("symbol")),
  mmUrl: params.get("mm") || null,
  prices: [], // {t, v, s}: time ms, Number (pixels only), exact string
  orders: new Map(), // clientOrderId -> open order
  closed: new Map(), // clientOrderId -> true: orders seen closed (a closed order never reopens)
  fills: [], // oldest first
  fillKeys: new Set(),
  account: null,
  positions: new Map(), // symbol -> position
  status: null, // the /api/status document
  connector: { connected: null, sessionId: "", reason: "", symbols: [] },
  ws: "connecting", // connecting | open | reconnecting
  retryAt: 0,
  attempts: 0,
  syncedAt: NaN, // when the last REST snapshot was applied
  loaded: false, // first snapshot applied
  animate: false, // the first snapshot is on screen: rows appearing from now on are highlighted
};

// ------------------------------------------------------------------ helpers

const apiUrl = (path) => new URL(path, document.baseURI).toString();

function wsUrl() {
  const url = new URL("ws", document.baseURI);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (state.symbol) url.searchParams.set("symbol", state.symbol);
  return url.toString();
}

async function getJSON(path, query = {}) {
  const url = new URL(apiUrl(path));
  for (const [k, v] of Object.entries(query)) if (v != null && v !== "") url.searchParams.set(k, v);
  const response = await fetch(url, { cache: "no-store", headers: { accept: "application/json" } });
  if (!response.ok) {
    let detail = "";
    try {
      detail = (await response.json()).error || "";
    } catch {
      /* not JSON */
    }
    throw new Error(`${path}: ${response.status}${detail ? ` ${detail}` : ""}`);
  }
  return response.json();
}

const text = (value, fallback = "—") => (value === null || value === undefined || value === "" ? fallback : String(value));
const sign = (value) => {
  const s = String(value ?? "");
  if (s.startsWith("-") && /[1-9]/.test(s)) return "neg";
  if (/[1-9]/.test(s)) return "pos";
  return "zero";
};
const shortId = (id) => (id ? String(id).slice(0, 8) : "");
/** The shown symbol's assets: BTC/USDT -> {base: "BTC", quote: "USDT"}. */
function assets() {
  const [base = "", quote = ""] = String(state.symbol ?? "").split("/");
  return { base, quote };
}
/** An amount and its unit, for a sentence (a missing amount stays a dash, without unit). */
const amount = (value, unit) => (value === null || value === undefined || value === "" ? "—" : `${value} ${unit}`.trim());
const mmStatuses = () => (state.status?.marketMakers ?? []);
// The live server reports a market maker it has not polled yet this way (for about a second).
const isWaiting = (m) => !m.status && m.error === "not polled yet";
const mmPhase = (m) => (m.status ? m.status.phase : isWaiting(m) ? "waiting" : "unreachable");

function selectedMM() {
  const all = mmStatuses();
  return (
    all.find((m) => m.url === state.mmUrl) ??
    all.find((m) => m.status && (!state.symbol || m.status.symbol === state.symbol)) ??
    all[0] ??
    null
  );
}

function pickSymbol() {
  if (state.symbolPinned) return state.symbol;
  const mm = mmStatuses().find((m) => m.url === state.mmUrl && m.status) ?? mmStatuses().find((m) => m.status);
  return (
    mm?.status?.symbol ??
    state.status?.connector?.symbols?.[0] ??
    state.connector.symbols?.[0] ??
    null
  );
}

// ------------------------------------------------------------------ state updates

function addPrice(event) {
  if (state.symbol && event.symbol && event.symbol !== state.symbol) return false;
  const t = parseTime(event.time);
  const s = String(event.price);
  const v = Number(s);
  if (!Number.isFinite(t) || !Number.isFinite(v)) return false;
  const prices = state.prices;
  const last = prices[prices.length - 1];
  if (!last || t > last.t) {
    prices.push({ t, v, s });
  } else {
    // out of order or a repeat: insert in time order, skipping exact duplicates
    let i = prices.length;
    while (i > 0 && prices[i - 1].t > t) i--;
    if (i > 0 && prices[i - 1].t === t && prices[i - 1].s === s) return false;
    prices.splice(i, 0, { t, v, s });
  }
  if (prices.length > MAX_PRICES) prices.splice(0, prices.length - MAX_PRICES);
  return true;
}

function tombstone(id) {
  state.closed.set(id, true);
  if (state.closed.size > MAX_TOMBSTONES) {
    const oldest = state.closed.keys().next().value;
    state.closed.delete(oldest);
  }
}

function orderKey(order) {
  return order.clientOrderId || order.orderId;
}

function upsertOrder(order) {
  if (state.symbol && order.symbol && order.symbol !== state.symbol) return false;
  const id = orderKey(order);
  if (!id) return false;
  if (!OPEN_STATUSES.has(order.status)) {
    tombstone(id);
    return state.orders.delete(id) || true;
  }
  if (state.closed.has(id)) return false;
  const current = state.orders.get(id);
  if (current && parseTime(order.updatedAt) < parseTime(current.updatedAt)) return false;
  state.orders.set(id, order);
  return true;
}

function fillKey(fill) {
  return fill.tradeId ? `t:${fill.tradeId}` : `o:${fill.orderId}:${fill.time}:${fill.quantity}`;
}

function addFill(fill) {
  if (state.symbol && fill.symbol && fill.symbol !== state.symbol) return false;
  const key = fillKey(fill);
  if (state.fillKeys.has(key)) return false;
  state.fillKeys.add(key);
  const entry = { ...fill, _t: parseTime(fill.time), _key: key };
  const fills = state.fills;
  let i = fills.length;
  while (i > 0 && fills[i - 1]._t > entry._t) i--;
  fills.splice(i, 0, entry);
  while (fills.length > MAX_FILLS) state.fillKeys.delete(fills.shift()._key);
  return true;
}

function setAccount(account) {
  const current = state.account;
  if (current && parseTime(account.updatedAt) < parseTime(current.updatedAt)) return;
  state.account = account;
}

function setPosition(position) {
  const current = state.positions.get(position.symbol);
  if (current && parseTime(position.updatedAt) < parseTime(current.updatedAt)) return;
  state.positions.set(position.symbol, position);
}

function setStatus(document) {
  state.status = document;
  if (document?.connector) {
    const c = document.connector;
    state.connector.connected = c.connected;
    state.connector.sessionId = c.sessionId ?? state.connector.sessionId;
    if (Array.isArray(c.symbols)) state.connector.symbols = c.symbols;
  }
  // The symbol follows the market maker, unless the URL pinned it.
  const wanted = pickSymbol();
  if (wanted && wanted !== state.symbol) switchSymbol(wanted);
}

function switchSymbol(symbol) {
  const first = state.symbol === null;
  state.symbol = symbol;
  state.prices = [];
  state.orders.clear();
  state.fills = [];
  state.fillKeys.clear();
  state.positions.clear();
  if (!first) {
    // resubscribe with the new filter (this refetches everything)
    connection.restart();
  }
}

/** Apply one WebSocket event. */
function apply(message) {
  const { type, data } = message;
  if (!data || typeof data !== "object") return;
  switch (type) {
    case "hello":
      state.connector.connected = Boolean(data.connected);
      state.connector.sessionId = data.sessionId ?? "";
      if (Array.isArray(data.symbols)) state.connector.symbols = data.symbols;
      break;
    case "connection": {
      const was = state.connector.connected;
      state.connector.connected = Boolean(data.connected);
      state.connector.sessionId = data.sessionId ?? state.connector.sessionId;
      state.connector.reason = data.reason ?? "";
      // Back from a connector outage: events may have been missed; take a fresh snapshot.
      if (data.connected && was === false) connection.resync();
      break;
    }
    case "status":
      setStatus(data);
      break;
    case "account":
      setAccount(data);
      break;
    case "position":
      if (!state.symbol || data.symbol === state.symbol) setPosition(data);
      break;
    case "order":
      upsertOrder(data);
      break;
    case "fill":
      addFill(data);
      break;
    case "price":
      addPrice(data);
      break;
    default:
      return; // unknown types are ignored (forward compatible)
  }
  scheduleRender();
}

/** Replace state with a REST snapshot (each part optional: a failed request keeps the old). */
function applySnapshot(snap) {
  if (snap.status) setStatus(snap.status);
  if (snap.account) state.account = snap.account;
  if (snap.positions) {
    state.positions.clear();
    for (const p of snap.positions) if (!state.symbol || p.symbol === state.symbol) state.positions.set(p.symbol, p);
  }
  if (snap.orders) {
    state.orders.clear();
    for (const o of snap.orders) upsertOrder(o);
  }
  if (snap.fills) for (const f of snap.fills) addFill(f);
  if (snap.prices && snap.prices.length) {
    // Keep what we saw before the server's history begins (e.g. across a server restart).
    const history = [];
    for (const p of snap.prices) {
      const t = parseTime(p.time);
      const v = Number(p.price);
      if (Number.isFinite(t) && Number.isFinite(v)) history.push({ t, v, s: String(p.price) });
    }
    history.sort((a, b) => a.t - b.t);
    if (history.length) {
      const older = state.prices.filter((p) => p.t < history[0].t);
      state.prices = older.concat(history).slice(-MAX_PRICES);
    }
  }
}

async function fetchSnapshot() {
  const snap = {};
  const errors = [];
  const attempt = async (key, path, query) => {
    try {
      snap[key] = await getJSON(path, query);
    } catch (error) {
      errors.push(error.message);
    }
  };
  await attempt("status", "api/status");
  if (!state.symbol) {
    const wanted = snap.status ? (setStatus(snap.status), pickSymbol()) : null;
    if (wanted) state.symbol = wanted;
  }
  const symbol = state.symbol;
  await Promise.all([
    attempt("account", "api/account"),
    attempt("positions", "api/positions", { symbol }),
    attempt("orders", "api/orders", { symbol }),
    attempt("fills", "api/fills", { symbol, limit: 200 }),
    symbol ? attempt("prices", "api/prices", { symbol, limit: 1000 }) : Promise.resolve(),
  ]);
  snap.errors = errors;
  return snap;
}

// ------------------------------------------------------------------ connection

/**
 * One WebSocket at a time. Each socket gets a generation number; callbacks of an old socket
 * are ignored. While a snapshot is being fetched, events are buffered and replayed after it.
 */
const connection = {
  gen: 0,
  socket: null,
  buffer: null, // array while buffering, null when live
  syncingGen: -1, // the generation whose snapshot is being fetched
  syncAgain: false,
  timer: 0,
  helloTimer: 0,
  restError: "",

  async start() {
    clearTimeout(this.timer);
    const gen = ++this.gen;
    if (!state.symbol) {
      // Learn the symbol first so the socket can be filtered; failures fall through.
      try {
        setStatus(await getJSON("api/status"));
        if (!state.symbol) state.symbol = pickSymbol();
      } catch {
        /* the socket attempt below reports the outage */
      }
      if (gen !== this.gen) return;
    }
    let socket;
    try {
      socket = new WebSocket(wsUrl());
    } catch {
      this.retry(gen);
      return;
    }
    this.socket = socket;
    this.buffer = [];
    let synced = false;
    const beginSync = () => {
      if (!synced && gen === this.gen) {
        synced = true;
        this.resync();
      }
    };
    socket.onopen = () => {
      if (gen !== this.gen) return;
      state.ws = "open";
      scheduleRender();
      // `hello` is the first frame; start the snapshot when it arrives (or shortly anyway).
      this.helloTimer = setTimeout(beginSync, HELLO_GRACE_MS);
    };
    socket.onmessage = (event) => {
      if (gen !== this.gen) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (message?.type === "hello") {
        clearTimeout(this.helloTimer);
        apply(message);
        beginSync();
        return;
      }
      if (this.buffer) this.buffer.push(message);
      else apply(message);
    };
    socket.onclose = () => {
      if (gen !== this.gen) return;
      clearTimeout(this.helloTimer);
      this.socket = null;
      this.retry(gen);
    };
    socket.onerror = () => {
      /* a close event follows */
    };
  },

  retry(gen) {
    if (gen !== this.gen) return;
    const delay = BACKOFF_MS[Math.min(state.attempts, BACKOFF_MS.length - 1)];
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
    state.attempts += 1;
    state.ws = "reconnecting";
    state.retryAt = Date.now() + jittered;
    this.buffer = null;
    this.timer = setTimeout(() => this.start(), jittered);
    scheduleRender();
  },

  /** Close the current socket and open a new one at once (e.g. a new symbol filter). */
  restart() {
    const old = this.socket;
    this.gen += 1; // silences the old socket's callbacks
    this.socket = null;
    if (old) old.close();
    queueMicrotask(() => this.start());
  },

  /** Buffer events, fetch the REST state, apply it, replay the buffer, go live. */
  async resync() {
    const gen = this.gen;
    if (this.syncingGen === gen) {
      this.syncAgain = true;
      return;
    }
    this.syncingGen = gen;
    if (!this.buffer) this.buffer = [];
    try {
      do {
        this.syncAgain = false;
        const snap = await fetchSnapshot();
        if (gen !== this.gen) return;
        applySnapshot(snap);
        this.restError = snap.errors.join("; ");
      } while (this.syncAgain && gen === this.gen);
      if (gen !== this.gen) return; // superseded (a new socket fetches its own snapshot)
      const pending = this.buffer ?? [];
      this.buffer = null;
      for (const message of pending) apply(message);
      state.syncedAt = Date.now();
      state.loaded = true;
      state.attempts = 0; // a good connection resets the backoff
      scheduleRender();
    } finally {
      if (this.syncingGen === gen) this.syncingGen = -1;
    }
  },
};

window.addEventListener("online", () => {
  if (state.ws !== "open") {
    state.attempts = 0;
    connection.restart();
  }
});

// ------------------------------------------------------------------ rendering

let frame = 0;
let fallback = 0;
function scheduleRender() {
  if (frame) return;
  frame = requestAnimationFrame(render);
  // rAF does not run in hidden tabs; a timer keeps the state visible there, at a slow rate.
  fallback = setTimeout(render, 500);
}

function setText(node, value) {
  if (node.textContent !== value) node.textContent = value;
}

function render() {
  cancelAnimationFrame(frame);
  clearTimeout(fallback);
  frame = 0;
  fallback = 0;
  const mm = selectedMM();
  const doc = mm?.status ?? null;
  renderHeader(mm, doc);
  renderBanners();
  renderStats(mm, doc);
  renderBalances();
  renderMarketMakers(mm);
  renderControls(mm, doc);
  renderOrders();
  renderFills();
  renderChart(doc);
  renderLoading();
  document.body.toggleAttribute("data-stale", state.loaded && (state.ws !== "open" || state.connector.connected === false));
  if (state.loaded) state.animate = true;
}

/** Until the first snapshot is on screen, say so (instead of "no open orders", "—", …). */
function renderLoading() {
  const loading = !state.loaded;
  document.body.toggleAttribute("data-loading", loading);
  el.loading.hidden = !loading;
  if (loading) {
    setText(
      el.loadingText,
      state.ws === "reconnecting"
        ? `Loading: the live server is not answering; retrying (attempt ${state.attempts})…`
        : state.ws === "open"
          ? "Loading: fetching orders, fills, balances and prices…"
          : "Loading: connecting to the live server…",
    );
  }
  setText(el.chartEmpty, loading ? "loading…" : "waiting for prices…");
  setText(el.ordersEmpty, loading ? "loading…" : "no open orders");
  setText(el.fillsEmpty, loading ? "loading…" : "no fills yet");
}

function renderHeader(mm, doc) {
  setText(el.strategy, doc?.name ?? (!mm ? "no market maker" : isWaiting(mm) ? "…" : "market maker unreachable"));
  setText(el.symbol, text(state.symbol));
  setText(el.engine, doc?.engine ? `${doc.engine} engine` : "");
  setText(el.chartSymbol, state.symbol ?? "");
  // Until the first price event, the engine's last price stands in (it may predate the server).
  const last = state.prices.at(-1) ?? enginePoint(doc);
  const before = state.prices.at(-2);
  setText(el.price, last ? last.s : "—");
  el.price.dataset.direction = !last || !before || last.v === before.v ? "flat" : last.v > before.v ? "up" : "down";
  setText(el.priceTime, last ? `${clockMillisUTC(last.t)} UTC` : "");
  document.title = `${last ? last.s : "—"} ${state.symbol ?? ""} · gridops`;

  const phase = mm ? mmPhase(mm) : "none";
  el.phase.dataset.phase = phase;
  setText(el.phase, phase === "none" ? "no market maker" : phase);

  let connState;
  let label;
  if (state.ws === "open" && state.connector.connected !== false) {
    connState = "connected";
    label = `connected · ${shortId(state.connector.sessionId) || "no session"}`;
  } else if (state.ws === "open") {
    connState = "degraded";
    label = "connector down";
  } else if (state.ws === "reconnecting") {
    connState = "reconnecting";
    label = "reconnecting…";
  } else {
    connState = "connecting";
    label = "connecting…";
  }
  el.connection.dataset.state = connState;
  el.connection.dataset.session = state.connector.sessionId || "";
  el.connection.title =
    `WebSocket: ${state.ws}; connector: ${state.connector.connected === false ? "disconnected" : "connected"}` +
    (state.connector.sessionId ? `; session ${state.connector.sessionId}` : "");
  setText(el.connectionText, label);
}

function bannerLines(node, items) {
  // items: [{line, sub}]; rebuilt only when the text changes.
  const key = JSON.stringify(items);
  if (node.dataset.key === key) return;
  node.dataset.key = key;
  node.replaceChildren(
    ...items.flatMap(({ line, sub }) => {
      const main = document.createElement("span");
      main.className = "line";
      main.textContent = line;
      if (!sub) return [main];
      const small = document.createElement("span");
      small.className = "sub";
      small.textContent = sub;
      return [main, small];
    }),
  );
  node.hidden = items.length === 0;
}

function renderBanners() {
  const many = mmStatuses().length > 1;
  const risk = [];
  const paused = [];
  const warnings = [];
  for (const m of mmStatuses()) {
    const doc = m.status;
    if (!doc) {
      if (m.error && !isWaiting(m)) warnings.push({ line: `Market maker ${m.url} unreachable: ${m.error}` });
      continue;
    }
    const who = many ? `${doc.name} (${doc.symbol}) · ` : "";
    const operator = controlsInfo().operatorManaged;
    if (doc.risk?.halted) {
      const until = parseTime(doc.risk.until);
      const clear = operator
        ? `until cleared: ${m.kubectl?.["clear-halt"] ?? "kubectl annotate gs <name> gridops.io/clear-halt=now"}`
        : "until cleared with Clear halt under Controls";
      risk.push({
        line: `Trading halted: ${text(doc.risk.reason, "risk rule")} since ${dateTimeUTC(parseTime(doc.risk.since))}`,
        sub:
          `${who}no new entries, exits still go out · ` +
          (Number.isFinite(until) ? `cooldown ends ${dateTimeUTC(until)}, or sooner ${clear}` : clear),
      });
    }
    if (doc.phase === "paused" || doc.paused) {
      paused.push({
        line: `Trading paused${many ? `: ${doc.name}` : ""} — open orders cancelled, none placed`,
        sub: operator
          ? `holdings and grid slots are kept; the operator's spec.paused decides: resume with ` +
            (m.kubectl?.resume ?? "kubectl patch gs <name> --type merge -p '{\"spec\":{\"paused\":false}}'")
          : "holdings and grid slots are kept; resume with Resume under Controls",
      });
    }
    if (doc.phase === "disconnected") warnings.push({ line: `${doc.name}: market maker lost its connector` });
  }
  if (state.ws === "reconnecting") {
    const wait = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    warnings.unshift({
      line: `Live server unreachable — reconnecting${wait ? ` in ${wait}s` : "…"} (attempt ${state.attempts})`,
      sub: Number.isFinite(state.syncedAt) ? `data below is from ${clockUTC(state.syncedAt)} UTC and may be stale` : "",
    });
  } else if (state.ws === "open" && state.connector.connected === false) {
    warnings.unshift({
      line: `Connector disconnected${state.connector.reason ? `: ${state.connector.reason}` : ""}`,
      sub: "the live server is reconnecting to it; data may be stale",
    });
  } else if (state.ws === "open" && connection.restError) {
    warnings.push({ line: `Some data could not be loaded: ${connection.restError}` });
  }
  bannerLines(el.risk, risk);
  bannerLines(el.paused, paused);
  bannerLines(el.warning, warnings);
}

function renderStats(mm, doc) {
  const { base, quote } = assets();
  setText(el.mmName, doc ? `${doc.name} · ${doc.engine ?? ""}`.replace(/ · $/, "") : mm ? mm.url : "");
  setText(el.position, text(doc?.position));
  setText(el.mmLastPrice, text(doc?.lastPrice));
  for (const [node, value] of [
    [el.realized, doc?.pnl?.realized],
    [el.unrealized, doc?.pnl?.unrealized],
  ]) {
    setText(node, text(value));
    node.dataset.sign = sign(value);
  }
  setText(el.fees, text(doc?.pnl?.fees));
  setText(el.slotCount, doc ? `${doc.openOrders?.length ?? 0} / ${doc.slots?.length ?? 0}` : "—");
  // Units: the position in the base asset, prices and money in the quote.
  const unit = (node, value) => setText(node, doc ? value : "");
  unit(el.units.position, base);
  unit(el.units.price, quote);
  unit(el.units.pnl, quote);
  unit(el.units.unrealized, quote);
  unit(el.units.fees, quote);
  const tables = base && quote ? `prices in ${quote}, quantities in ${base}` : "";
  setText(el.units.orders, tables);
  setText(el.units.fills, tables ? `${tables}, fees in their asset` : "");

  const p = state.symbol ? state.positions.get(state.symbol) : null;
  el.exchangeBox.hidden = !p;
  setText(el.exchangeSymbol, state.symbol ?? "");
  setText(
    el.exchangePosition,
    p
      ? `position ${amount(p.quantity, base)} @ ${amount(p.entryPrice, quote)} · ` +
          `realized ${amount(p.realizedPnl, quote)} · unrealized ${amount(p.unrealizedPnl, quote)}`
      : "",
  );
}

// ------------------------------------------------------------------ controls

const ACTION_NAMES = { pause: "Pause", resume: "Resume", "clear-halt": "Clear the halt", "cancel-orders": "Cancel open orders" };
const controlsInfo = () => state.status?.controls ?? { operatorManaged: false, namespace: null, tokenConfigured: false };
let controlBusy = false;

function renderControls(mm, doc) {
  const info = controlsInfo();
  const operator = Boolean(info.operatorManaged);
  setText(el.controlMode, operator ? "managed by the operator" : mm ? (info.tokenConfigured ? "with control token" : "") : "");
  el.controlButtons.hidden = operator;
  el.controlCommands.hidden = !operator;

  let stateLine;
  if (!mm) stateLine = "No market maker to control (start the live server with --market-maker URL).";
  else if (!doc) stateLine = `${mm.url} is ${isWaiting(mm) ? "being polled…" : "unreachable"}: nothing to control right now.`;
  else {
    const parts = [doc.paused || doc.phase === "paused" ? "paused" : doc.phase];
    if (doc.risk?.halted) parts.push(`halted (${text(doc.risk.reason, "risk rule")})`);
    parts.push(`${doc.openOrders?.length ?? 0} open orders`);
    stateLine = `${doc.name}: ${parts.join(" · ")}`;
  }
  setText(el.controlState, stateLine);

  if (operator) {
    renderCommands(mm, doc);
    return;
  }
  const paused = Boolean(doc && (doc.paused || doc.phase === "paused"));
  const buttons = {
    pause: { show: !paused, enabled: Boolean(doc) },
    resume: { show: paused, enabled: Boolean(doc) },
    "clear-halt": { show: true, enabled: Boolean(doc?.risk?.halted) },
    "cancel-orders": { show: true, enabled: Boolean(doc) },
  };
  for (const button of el.controlButtons.querySelectorAll("button[data-action]")) {
    const b = buttons[button.dataset.action];
    button.hidden = !b.show;
    button.disabled = controlBusy || !b.enabled;
  }
}

/** Under the operator: the kubectl command for each control, to copy; nothing is called. */
function renderCommands(mm, doc) {
  const commands = mm?.kubectl;
  const key = JSON.stringify([commands, doc?.paused, doc?.risk?.halted]);
  if (el.controlCommands.dataset.key === key) return;
  el.controlCommands.dataset.key = key;
  const intro = document.createElement("p");
  intro.className = "small";
  intro.textContent =
    "spec.paused of the GridStrategy is the one source of truth here: the dashboard shows the state and " +
    "the commands, and does not act on its own.";
  if (!commands) {
    const wait = document.createElement("p");
    wait.className = "small muted";
    wait.textContent = "The commands appear once the market maker has been reached.";
    el.controlCommands.replaceChildren(intro, wait);
    return;
  }
  const rows = [
    ["pause", "Pause (cancels its open orders, places none)"],
    ["resume", "Resume"],
    ["clear-halt", "Clear a risk halt"],
  ].map(([action, label]) => {
    const row = document.createElement("div");
    row.className = "command";
    row.dataset.testid = `command-${action}`;
    const title = document.createElement("span");
    title.className = "small muted";
    title.textContent = label;
    const code = document.createElement("code");
    code.textContent = commands[action];
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "btn small-btn";
    copy.textContent = "copy";
    copy.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(commands[action]);
        copy.textContent = "copied";
      } catch {
        // no clipboard (plain http): select the text so Ctrl-C copies it
        getSelection().selectAllChildren(code);
        copy.textContent = "selected";
      }
    });
    row.append(title, code, copy);
    return row;
  });
  el.controlCommands.replaceChildren(intro, ...rows);
}

function confirmText(action, mm) {
  const doc = mm.status;
  const n = doc.openOrders?.length ?? 0;
  const name = doc.name;
  switch (action) {
    case "pause":
      return `${name} cancels its ${n} open orders and places none until resumed. Its holdings and grid slots are kept.`;
    case "resume":
      return `${name} places its grid again around the current price.`;
    case "clear-halt":
      return `${name} is halted (${text(doc.risk?.reason, "risk rule")}). Clearing lets it place new entries at once; if the condition still holds, the breaker trips again.`;
    default:
      return (
        `Cancel ${name}'s ${n} open orders on the exchange (exactly its own: client order ids ${mm.prefix ?? name}-…)?` +
        (doc.paused || doc.phase === "paused"
          ? ""
          : ` It is running and will place its grid again right away; to keep the book empty, pause it instead (a pause cancels them too).`)
      );
  }
}

function ask(title, body, ok) {
  setText(el.confirmTitle, title);
  setText(el.confirmText, body);
  setText(el.confirmOk, ok);
  el.confirm.returnValue = "";
  el.confirm.showModal();
  return new Promise((resolve) => {
    el.confirm.addEventListener("close", () => resolve(el.confirm.returnValue === "ok"), { once: true });
  });
}

function showResult(message, ok) {
  el.controlResult.hidden = false;
  el.controlResult.dataset.ok = ok ? "true" : "false";
  setText(el.controlResult, message);
}

async function runControl(action) {
  const mm = selectedMM();
  const doc = mm?.status;
  if (!mm || !doc || controlBusy) return;
  const go = await ask(`${ACTION_NAMES[action]}: ${doc.name}?`, confirmText(action, mm), ACTION_NAMES[action]);
  if (!go) return;
  controlBusy = true;
  scheduleRender();
  try {
    const response = await fetch(apiUrl(`api/control/${action}`), {
      method: "POST",
      cache: "no-store",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ marketMaker: mm.url }),
    });
    let body = null;
    try {
      body = await response.json();
    } catch {
      /* not JSON */
    }
    if (!response.ok) {
      showResult(`${ACTION_NAMES[action]} failed: ${body?.error ?? `HTTP ${response.status}`}`, false);
    } else if (action === "cancel-orders") {
      const n = body?.answer?.cancelled?.length ?? 0;
      showResult(`Cancelled ${n} open order${n === 1 ? "" : "s"} of ${doc.name}.`, true);
    } else {
      showResult(`${ACTION_NAMES[action]}: sent to ${doc.name}.`, true);
    }
  } catch (error) {
    showResult(`${ACTION_NAMES[action]} failed: the live server did not answer (${error.message}).`, false);
  } finally {
    controlBusy = false;
    scheduleRender();
  }
}

el.controlButtons.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button && !button.disabled) runControl(button.dataset.action);
});

/**
 * Keyed row reconciliation: rows are created once per key and their cells updated in place,
 * so a burst of updates touches only what changed. cells(item) -> [{text, cls, tag}].
 */
function syncRows(tbody, items, key, cells, rowAttrs, highlight = true) {
  const existing = new Map();
  for (const tr of tbody.children) existing.set(tr.dataset.key, tr);
  let previous = null;
  for (const item of items) {
    const k = key(item);
    let tr = existing.get(k);
    const specs = cells(item);
    if (tr) {
      existing.delete(k);
    } else {
      tr = document.createElement("tr");
      tr.dataset.key = k;
      for (let i = 0; i < specs.length; i++) tr.appendChild(document.createElement("td"));
      if (highlight && state.animate) tr.classList.add("fresh");
    }
    rowAttrs(tr, item);
    specs.forEach((spec, i) => {
      const td = tr.children[i];
      const cls = spec.cls ?? "";
      if (td.className !== cls) td.className = cls;
      if (spec.tag) {
        let span = td.firstElementChild;
        if (!span) {
          td.textContent = "";
          span = td.appendChild(document.createElement("span"));
        }
        span.className = `side-tag ${spec.tag}`;
        setText(span, spec.text);
      } else {
        setText(td, spec.text);
      }
      if (spec.title !== undefined && td.title !== spec.title) td.title = spec.title;
    });
    const ref = previous ? previous.nextSibling : tbody.firstChild;
    if (ref !== tr) tbody.insertBefore(tr, ref);
    previous = tr;
  }
  for (const tr of existing.values()) tr.remove();
}

function renderBalances() {
  const balances = state.account?.balances ?? [];
  syncRows(
    el.balances,
    balances,
    (b) => b.asset,
    (b) => [
      { text: b.asset },
      { text: text(b.free), cls: "num r" },
      { text: text(b.locked), cls: "num r" },
    ],
    (tr, b) => {
      tr.dataset.testid = "balance-row";
      tr.dataset.asset = b.asset;
    },
    false,
  );
  const a = state.account;
  setText(el.equity, a ? `${text(a.equity)} ${a.quoteAsset ?? ""}`.trim() : "—");
}

function renderMarketMakers(selected) {
  const all = mmStatuses();
  const key = JSON.stringify(
    all.map((m) => [m.url, m.reachable, m.error, m.status?.name, m.status?.symbol, m.status?.phase, m.status?.risk?.halted]),
  ) + (selected?.url ?? "");
  if (el.marketMakers.dataset.key === key) return;
  el.marketMakers.dataset.key = key;
  if (!all.length) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "none configured (--market-maker URL)";
    el.marketMakers.replaceChildren(li);
    return;
  }
  el.marketMakers.replaceChildren(
    ...all.map((m) => {
      const li = document.createElement("li");
      li.dataset.testid = "market-maker";
      li.dataset.url = m.url;
      if (m === selected) li.classList.add("selected");
      const title = document.createElement("span");
      title.className = "mm-title";
      title.textContent = m.status ? `${m.status.name} · ${m.status.symbol}` : mmPhase(m);
      const phase = document.createElement("span");
      const p = mmPhase(m);
      phase.className = `mm-phase ${p}`;
      phase.textContent = m.status?.risk?.halted && p !== "halted" ? `${p} · halted` : p;
      const url = document.createElement("span");
      url.className = "mm-url";
      url.textContent = m.error && !m.status ? `${m.url} — ${m.error}` : m.url;
      li.append(title, phase, url);
      if (all.length > 1) {
        li.style.cursor = "pointer";
        li.title = "show this market maker";
        li.addEventListener("click", () => {
          state.mmUrl = m.url;
          const next = new URL(location.href);
          next.searchParams.set("mm", m.url);
          history.replaceState(null, "", next);
          const wanted = pickSymbol();
          if (wanted && wanted !== state.symbol) switchSymbol(wanted);
          scheduleRender();
        });
      }
      return li;
    }),
  );
}

function renderOrders() {
  const orders = [...state.orders.values()].sort(
    (a, b) => Number(b.price) - Number(a.price) || String(a.clientOrderId).localeCompare(String(b.clientOrderId)),
  );
  // The selected market maker's own orders, and everyone else's (another strategy on the same
  // account, or an order placed by hand), told apart.
  const mine = selectedMM()?.prefix ?? null;
  syncRows(
    el.orders,
    orders,
    orderKey,
    (o) => [
      { text: o.side, tag: o.side },
      { text: text(o.price), cls: "num r price" },
      { text: text(o.quantity), cls: "num r" },
      { text: text(o.filledQuantity, "0"), cls: "num r opt" },
      // "PARTIALLY_FILLED" would not fit the column: shortened, the full status in the tooltip
      { text: o.status === "PARTIALLY_FILLED" ? "PARTIAL" : text(o.status), cls: "opt", title: text(o.status) },
      {
        text: o.strategy ?? "(not a grid id)",
        cls: `owner${o.strategy && o.strategy === mine ? " mine" : " other"}`,
        title: o.strategy
          ? `strategy ${o.strategy}${o.strategy === mine ? " (the selected market maker)" : ""}`
          : "placed by something other than a grid strategy",
      },
      { text: text(o.clientOrderId), cls: "id opt", title: `order ${o.orderId ?? ""} · ${o.type ?? ""}` },
      { text: clockUTC(parseTime(o.updatedAt ?? o.createdAt)), cls: "num r opt opt-md" },
    ],
    (tr, o) => {
      tr.dataset.testid = "order-row";
      tr.dataset.clientOrderId = o.clientOrderId ?? "";
      tr.dataset.strategy = o.strategy ?? "";
      tr.classList.toggle("BUY", o.side === "BUY");
      tr.classList.toggle("SELL", o.side === "SELL");
    },
  );
  setText(el.ordersCount, String(orders.length));
  el.ordersEmpty.hidden = orders.length > 0;
}

function renderFills() {
  const shown = state.fills.slice(-FILLS_SHOWN).reverse(); // newest first
  syncRows(
    el.fills,
    shown,
    (f) => f._key,
    (f) => [
      { text: clockMillisUTC(f._t), cls: "num", title: `${f.time} · ${ago(f._t)}` },
      { text: f.side, tag: f.side },
      { text: text(f.price), cls: "num r price" },
      { text: text(f.quantity), cls: "num r" },
      { text: `${text(f.fee, "0")} ${f.feeAsset ?? ""}`.trim(), cls: "num r" },
      { text: f.maker === undefined ? "" : f.maker ? "maker" : "taker", cls: "role opt" },
      { text: text(f.clientOrderId), cls: "id opt", title: `order ${f.orderId ?? ""}` },
      { text: text(f.tradeId), cls: "id opt" },
    ],
    (tr, f) => {
      tr.dataset.testid = "fill-row";
      tr.dataset.tradeId = f.tradeId ?? "";
      tr.dataset.clientOrderId = f.clientOrderId ?? "";
      tr.classList.toggle("BUY", f.side === "BUY");
      tr.classList.toggle("SELL", f.side === "SELL");
    },
  );
  setText(el.fillsCount, String(state.fills.length));
  el.fillsEmpty.hidden = state.fills.length > 0;
}

/** The market maker's last price as a chart point, when it is for the shown symbol. */
function enginePoint(doc) {
  if (!doc || doc.symbol !== state.symbol || doc.lastPrice == null) return null;
  const v = Number(doc.lastPrice);
  const t = parseTime(doc.lastPriceAt);
  return Number.isFinite(v) ? { t: Number.isFinite(t) ? t : Date.now(), v, s: String(doc.lastPrice) } : null;
}

const chart = new PriceChart(byTestId("chart"), document.querySelector(".chart-tip"), byTestId("chart-empty"));

function renderChart(doc) {
  const orders = [];
  for (const o of state.orders.values()) {
    const v = Number(o.price);
    if (Number.isFinite(v)) orders.push({ v, s: String(o.price), side: o.side, pending: false });
  }
  // Orders the engine is placing but the exchange has not acknowledged yet: dashed.
  if (doc && doc.symbol === state.symbol) {
    for (const o of doc.openOrders ?? []) {
      if (!o.pending || state.orders.has(o.clientOrderId) || state.closed.has(o.clientOrderId)) continue;
      const v = Number(o.price);
      if (Number.isFinite(v)) orders.push({ v, s: String(o.price), side: o.side, pending: true });
    }
  }
  const fills = state.fills.map((f) => ({ t: f._t, v: Number(f.price), s: String(f.price), side: f.side }));
  const seed = state.prices.length ? null : enginePoint(doc);
  const prices = seed ? [seed] : state.prices;
  chart.setData({ prices, orders, fills, lastPrice: prices.at(-1)?.s ?? null });
}

// Range buttons
document.querySelectorAll('[data-testid="chart-range"] button').forEach((button) => {
  button.addEventListener("click", () => {
    document.querySelectorAll('[data-testid="chart-range"] button').forEach((b) => b.classList.toggle("active", b === button));
    chart.setRange(Number(button.dataset.range));
    try {
      localStorage.setItem("gridops.range", button.dataset.range);
    } catch {
      /* storage unavailable */
    }
  });
});
try {
  const saved = localStorage.getItem("gridops.range");
  const button = saved && document.querySelector(`[data-testid="chart-range"] button[data-range="${saved}"]`);
  if (button) button.click();
} catch {
  /* storage unavailable */
}

// The clock, the chart's moving "now" and the reconnect countdown tick once a second.
setInterval(() => {
  setText(el.clock, `${clockUTC(Date.now())} UTC`);
  scheduleRender();
}, 1000);
setText(el.clock, `${clockUTC(Date.now())} UTC`);

// Exposed for debugging from the console only.
window.gridops = { state, connection };

render();
connection.start();
