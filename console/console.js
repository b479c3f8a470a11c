/*
 * pollhook console: the management API's JSON, shown. No framework, nothing
 * fetched from elsewhere; every value from the daemon is put in the page as
 * text (textContent), never as HTML.
 */
"use strict";

const TOKEN_KEY = "pollhook-token";
const REFRESH_MS = 3000;
const EVENTS_MS = 2000;
const SPARK_POINTS = 60;	/* durations kept per source: a few minutes at 3 s */
const EVENTS_KEPT = 200;

const state = {
  token: null,
  view: "sources",
  refused: false,
  sparks: new Map(),		/* source name -> [duration, ...] */
  lastPoll: new Map(),		/* source name -> last_poll seen */
  events: [],			/* newest first */
  eventsNext: null,
  eventsStarted: false,
  eventsUnseen: 0,
  cluster: false,
  timer: null,
  eventsTimer: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    if (c instanceof Node) {
      const td = c.tagName === "TD" ? c : el("td");
      if (td !== c) td.appendChild(c);
      tr.appendChild(td);
    } else {
      tr.appendChild(el("td", c === null || c === undefined ? "\u2014" : c));
    }
  }
  return tr;
}

function setStatus(text, error) {
  const s = $("status");
  s.textContent = text;
  s.className = error ? "error" : "";
}

function ago(iso) {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 2) return "just now";
  if (s < 120) return s + " s ago";
  if (s < 7200) return Math.round(s / 60) + " min ago";
  return new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function ms(seconds) {
  if (seconds === null || seconds === undefined) return null;
  return seconds < 1 ? (seconds * 1000).toFixed(1) + " ms" : seconds.toFixed(2) + " s";
}

/* The API, with the token; a 401 stops everything and asks for another. */
class Refused extends Error {}

async function api(path, opts) {
  const o = Object.assign({ headers: {} }, opts || {});
  const token = state.token;
  if (token) o.headers.Authorization = "Bearer " + token;
  if (o.body !== undefined) o.headers["Content-Type"] = "application/json";
  const r = await fetch(path, o);
  if (r.status === 401) {
    /* Requests run side by side: the first refusal tells why. */
    if (!state.refused)
      refused(token ? "The API refused this token (401 Unauthorized): check bridge.api.token." :
        "This API needs a token (401 Unauthorized).");
    throw new Refused("401");
  }
  let body = null;
  const text = await r.text();
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = text; }
  return { status: r.status, ok: r.ok, body };
}

function refused(message) {
  state.refused = true;
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  stopTimers();
  for (const v of document.querySelectorAll(".view")) v.hidden = true;
  $("login").hidden = false;
  $("login-message").textContent = message;
  setStatus("not connected", true);
  $("token").focus();
}

function errorText(r) {
  if (r.body && typeof r.body === "object" && r.body.error) return r.body.error;
  return "HTTP " + r.status;
}

/* Sources */

function labelText(labels) {
  return Object.entries(labels || {}).map(([k, v]) => k + "=" + v).join(" ");
}

function matches(src, filter) {
  if (!filter) return true;
  const f = filter.toLowerCase();
  if (src.name.toLowerCase().includes(f)) return true;
  return labelText(src.labels).toLowerCase().includes(f);
}

function sparkline(values) {
  const NS = "http://www.w3.org/2000/svg";
  const w = 120, h = 24;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("width", w);
  svg.setAttribute("height", h);
  svg.setAttribute("viewBox", "0 0 " + w + " " + h);
  svg.setAttribute("role", "img");
  const max = Math.max(...values, 1e-6);
  svg.setAttribute("aria-label", values.length + " poll durations, the longest " + ms(max));
  if (values.length > 1) {
    const pts = values.map((v, i) =>
      (i * (w - 2) / (values.length - 1) + 1).toFixed(1) + "," +
      (h - 2 - (v / max) * (h - 4)).toFixed(1));
    const line = document.createElementNS(NS, "polyline");
    line.setAttribute("points", pts.join(" "));
    svg.appendChild(line);
  }
  return svg;
}

function remember(src) {
  if (src.last_duration === null || src.last_poll === null) return;
  if (state.lastPoll.get(src.name) === src.last_poll) return;
  state.lastPoll.set(src.name, src.last_poll);
  const s = state.sparks.get(src.name) || [];
  s.push(src.last_duration);
  if (s.length > SPARK_POINTS) s.shift();
  state.sparks.set(src.name, s);
}

async function showSources() {
  const r = await api("/v1/sources");
  if (!r.ok) throw new Error("sources: " + errorText(r));
  noteCluster(r.body);
  const filter = $("source-filter").value.trim();
  const body = $("sources-body");
  const rows = [];
  let up = 0, down = 0;
  for (const src of r.body) {
    remember(src);
    if (src.up === true) up++;
    else if (src.up === false) down++;
    if (!matches(src, filter)) continue;
    const owner = src.owner === undefined ? "" : " (polled by " + (src.owner || "nobody yet") + ")";
    const st = src.up === true ? el("span", "\u25b2 up" + owner, "up") :
      src.up === false ? el("span", "\u25bc DOWN", "down") : el("span", "\u2014 not polled yet", "unknown");
    const name = el("td", src.name);
    name.dataset.source = src.name;
    const err = el("td", src.last_error || "", "err");
    rows.push(row([name, st, ago(src.last_poll), el("td", ms(src.last_duration) || "\u2014", "num"),
      sparkline(state.sparks.get(src.name) || []),
      el("td", src.polls + " / " + src.errors, "num"), err,
      el("span", labelText(src.labels), "labels")]));
  }
  body.replaceChildren(...rows);
  $("source-count").textContent = rows.length + " of " + r.body.length + " shown; " +
    up + " up, " + down + " down";
}

/* Events */

function eventRow(e) {
  const p = e.payload || {};
  const stateCell = el("span", p.state || "", p.state === "firing" ? "firing" :
    p.state === "resolved" ? "resolved" : "");
  const t = e.event_ts ? new Date(e.event_ts).toISOString().replace("T", " ").replace("Z", "") : null;
  const tr = row([t, e.event, p.source, stateCell,
    p.value === undefined || p.value === null ? null : String(p.value), p.severity, el("code", e.id)]);
  tr.dataset.event = e.event;
  return tr;
}

async function pollEvents() {
  /* The first time, page through to the newest (bounded); then only what is new. */
  for (let page = 0; page < (state.eventsStarted ? 5 : 50); page++) {
    const q = "/v1/events?limit=1000" + (state.eventsNext ? "&after=" + encodeURIComponent(state.eventsNext) : "");
    const r = await api(q);
    if (!r.ok) throw new Error("events: " + errorText(r));
    const got = r.body.events || [];
    for (const e of got) state.events.unshift(e);
    if (state.events.length > EVENTS_KEPT) state.events.length = EVENTS_KEPT;
    if (state.eventsStarted && state.view !== "events") state.eventsUnseen += got.length;
    if (r.body.next) state.eventsNext = r.body.next;
    if (got.length < 1000) break;
  }
  state.eventsStarted = true;
  $("events-new").textContent = state.eventsUnseen > 0 ? String(state.eventsUnseen) : "";
  if (state.view === "events") $("events-body").replaceChildren(...state.events.map(eventRow));
}

/* Subscribers */

function health(s) {
  const h = s.health;
  if (!h) return null;
  if (h.disabled) return "disabled: " + (h.disabled_reason || "");
  if (h.consecutive_failures > 0)
    return h.consecutive_failures + " failures" + (h.last_error ? ": " + h.last_error : "");
  return h.last_success ? "ok, last success " + ago(h.last_success) : "ok";
}

async function showSubscribers() {
  const all = [];
  let after = null;
  for (let page = 0; page < 20; page++) {
    const r = await api("/v1/subscribers?limit=1000" + (after ? "&after=" + encodeURIComponent(after) : ""));
    if (r.status === 501) {
      $("subscribers-body").replaceChildren(row([errorText(r)]));
      return;
    }
    if (!r.ok) throw new Error("subscribers: " + errorText(r));
    all.push(...(r.body.subscribers || []));
    if (!r.body.next) break;
    after = r.body.next;
  }
  $("subscribers-body").replaceChildren(...all.map((s) => {
    let action = el("td", "");
    if (s.origin !== "config") {
      const b = el("button", "Remove", "danger");
      b.type = "button";
      b.addEventListener("click", () => removeSubscriber(s.name));
      action = b;
    }
    const st = s.state || (s.origin === "config" ? "configured" : null);
    return row([s.name, s.origin, el("td", s.url, "err"), st, el("td", health(s), "err"), action]);
  }));
}

async function removeSubscriber(name) {
  if (!confirm("Remove the subscriber \"" + name + "\"? Its pending deliveries are dropped.")) return;
  const r = await api("/v1/subscribers/" + encodeURIComponent(name), { method: "DELETE" });
  $("sub-result").textContent = r.ok ? "Removed " + name + "." : "Not removed: " + errorText(r);
  await refresh();
}

async function addSubscriber() {
  const body = { url: $("sub-url").value.trim() };
  const name = $("sub-name").value.trim();
  const events = $("sub-events").value.split(",").map((s) => s.trim()).filter(Boolean);
  const secret = $("sub-secret").value;
  if (name) body.name = name;
  if (events.length) body.events = events;
  if (secret) body.secret = secret;
  $("sub-result").textContent = "Adding (the URL is validated first)...";
  const r = await api("/v1/subscribers", { method: "POST", body: JSON.stringify(body) });
  $("sub-result").textContent = (r.ok ? "Added (HTTP " + r.status + "):\n" :
    "Refused (HTTP " + r.status + "): " + errorText(r) + "\n") + JSON.stringify(r.body, null, 2);
  await refresh();
}

/* Deliveries */

async function showDeliveries() {
  const which = $("delivery-state").value;
  const r = await api("/v1/deliveries?limit=1000&state=" + which);
  if (!r.ok) throw new Error("deliveries: " + errorText(r));
  $("retry-all").hidden = which !== "dead";
  $("deliveries-body").replaceChildren(...r.body.map((d) => {
    let action = el("td", "");
    if (d.state === "dead") {
      const b = el("button", "Retry");
      b.type = "button";
      b.dataset.retry = String(d.id);
      b.addEventListener("click", () => retry(d.id));
      action = b;
    }
    const tr = row([String(d.id), d.subscriber, d.event, el("span", d.state, d.state),
      el("td", String(d.attempts), "num"), d.last_status ? String(d.last_status) : null,
      el("td", d.last_error, "err"), ago(d.created), action]);
    tr.dataset.delivery = String(d.id);
    return tr;
  }));
  if (r.body.length === 0)
    $("deliveries-body").replaceChildren(row([which === "dead" ? "No dead letters." : "Nothing pending."]));
}

async function retry(id) {
  if (!confirm("Send delivery " + id + " again?")) return;
  const r = await api("/v1/deliveries/" + id + "/retry", { method: "POST" });
  $("delivery-result").textContent = r.ok ? "Delivery " + id + " queued for another try." :
    "Not queued: " + errorText(r);
  await refresh();
}

async function retryAll() {
  if (!confirm("Send every dead letter again?")) return;
  const r = await api("/v1/deliveries/retry", { method: "POST" });
  $("delivery-result").textContent = r.ok ? r.body.retried + " dead letters queued for another try." :
    "Not queued: " + errorText(r);
  await refresh();
}

/* Silences */

function when(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((t - Date.now()) / 1000);
  if (s <= 0) return ago(iso);
  if (s < 120) return "in " + s + " s";
  if (s < 7200) return "in " + Math.round(s / 60) + " min";
  return new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function matcherText(m) {
  const parts = [];
  if (m.source) parts.push("source " + m.source);
  if (m.rule) parts.push("rule " + m.rule);
  for (const [k, v] of Object.entries(m.labels || {})) parts.push(k + "=" + v);
  return parts.join(", ");
}

async function showSilences() {
  const r = await api("/v1/silences");
  if (!r.ok) throw new Error("silences: " + errorText(r));
  const all = r.body.silences || [];
  $("silences-body").replaceChildren(...all.map((s) => {
    let action = el("td", "");
    if (s.state !== "expired") {
      const b = el("button", "End", "danger");
      b.type = "button";
      b.dataset.silence = s.id;
      b.addEventListener("click", () => removeSilence(s.id));
      action = b;
    }
    const tr = row([s.id, el("td", matcherText(s.matchers || {}), "labels"),
      el("span", s.state, s.state === "active" ? "firing" : "unknown"), when(s.starts),
      when(s.ends), el("td", s.comment, "err"), s.creator, action]);
    tr.dataset.silenceRow = s.id;
    return tr;
  }));
  if (all.length === 0) $("silences-body").replaceChildren(row(["No silences."]));
}

async function addSilence() {
  const matchers = {};
  const source = $("sil-source").value.trim(), rule = $("sil-rule").value.trim();
  const labels = {};
  for (const pair of $("sil-labels").value.split(",").map((x) => x.trim()).filter(Boolean)) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      $("sil-result").textContent = "Not added: a label matcher is name=glob, not \"" + pair + "\".";
      return;
    }
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  if (source) matchers.source = source;
  if (rule) matchers.rule = rule;
  if (Object.keys(labels).length) matchers.labels = labels;
  const minutes = Number($("sil-minutes").value);
  if (!(minutes > 0)) {
    $("sil-result").textContent = "Not added: give how many minutes it lasts.";
    return;
  }
  const body = { matchers, ends: Math.round(Date.now() / 1000 + minutes * 60),
    comment: $("sil-comment").value, creator: "console" };
  const r = await api("/v1/silences", { method: "POST", body: JSON.stringify(body) });
  $("sil-result").textContent = r.ok ? "Added silence " + r.body.id + "." :
    "Refused (HTTP " + r.status + "): " + errorText(r);
  await refresh();
}

async function removeSilence(id) {
  if (!confirm("End the silence " + id + "? Its events are delivered again from now on.")) return;
  const r = await api("/v1/silences/" + encodeURIComponent(id), { method: "DELETE" });
  $("sil-result").textContent = r.ok ? "Ended silence " + id + "." : "Not ended: " + errorText(r);
  await refresh();
}

/* Cluster */

/* /v1/sources carries "owner" with bridge.cluster only: then the tab shows. */
function noteCluster(sources) {
  state.cluster = sources.some((s) => Object.prototype.hasOwnProperty.call(s, "owner"));
  document.querySelector('nav button[data-view="cluster"]').hidden = !state.cluster;
}

async function showCluster() {
  const r = await api("/v1/cluster");
  if (!r.ok) {
    $("cluster-summary").textContent = "No cluster: " + errorText(r);
    $("cluster-body").replaceChildren();
    return;
  }
  const c = r.body;
  $("cluster-summary").textContent = "This instance: " + c.node + ", " + c.sources_owned +
    " sources owned, epoch " + c.epoch + "; " + (c.members || []).length + " live members.";
  $("cluster-body").replaceChildren(...(c.members || []).map((m) =>
    row([m.name + (m.self ? " (this instance)" : ""), m.version, ago(m.started), ago(m.last_seen),
      el("td", String(m.sources_owned), "num"), el("td", String(m.epoch), "num")])));
}

/* The loop */

const views = {
  sources: showSources,
  events: async () => { state.eventsUnseen = 0; await pollEvents(); },
  subscribers: showSubscribers,
  deliveries: showDeliveries,
  silences: showSilences,
  cluster: showCluster,
};

function stopTimers() {
  clearTimeout(state.timer);
  clearTimeout(state.eventsTimer);
  state.timer = state.eventsTimer = null;
}

async function refresh() {
  if (state.refused) return;
  clearTimeout(state.timer);
  try {
    await views[state.view]();
    setStatus("updated " + new Date().toLocaleTimeString());
  } catch (e) {
    if (e instanceof Refused) return;
    setStatus("cannot reach the daemon: " + e.message, true);
  }
  if (!state.refused) state.timer = setTimeout(refresh, REFRESH_MS);
}

async function eventsLoop() {
  if (state.refused) return;
  try {
    await pollEvents();
  } catch (e) {
    if (e instanceof Refused) return;
  }
  if (!state.refused) state.eventsTimer = setTimeout(eventsLoop, EVENTS_MS);
}

function show(view) {
  state.view = view;
  for (const b of document.querySelectorAll("nav button")) {
    if (b.dataset.view === view) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + view;
  if (view === "events") {
    state.eventsUnseen = 0;
    $("events-new").textContent = "";
    $("events-body").replaceChildren(...state.events.map(eventRow));
  }
  refresh();
}

async function start() {
  state.refused = false;
  $("login").hidden = true;
  $("login-message").textContent = "";
  setStatus("connecting...");
  show(state.view);
  eventsLoop();
}

function init() {
  const m = /^#token=(.+)$/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  state.token = sessionStorage.getItem(TOKEN_KEY);
  for (const b of document.querySelectorAll("nav button"))
    b.addEventListener("click", () => show(b.dataset.view));
  $("token-save").addEventListener("click", () => {
    const t = $("token").value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    state.token = t;
    $("token").value = "";
    start();
  });
  $("token").addEventListener("keydown", (e) => { if (e.key === "Enter") $("token-save").click(); });
  $("source-filter").addEventListener("input", () => { if (state.view === "sources") refresh(); });
  $("delivery-state").addEventListener("change", () => refresh());
  $("retry-all").addEventListener("click", retryAll);
  $("sub-add").addEventListener("click", addSubscriber);
  $("sil-add").addEventListener("click", addSilence);
  start();
}

document.addEventListener("DOMContentLoaded", init);
