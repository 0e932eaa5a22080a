// The centre's dashboard: the open alerts newest and strongest first, a map of the ATMs with the flagged ones marked,
// an alert's evidence and actions, live updates by server-sent events. Plain JavaScript, no build step, no internet.
"use strict";

const state = { user: null, alerts: [], selected: null, map: null, markers: new Map(), atms: [], events: null };
const $ = (id) => document.getElementById(id);
const esc = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
// Times as the centre reads them, in India's time, with UTC on hover (exports and the API stay in UTC). The skimmer
// period's days are the engine's days, which are UTC days.
const istTime = new Intl.DateTimeFormat("en-IN", { timeZone: "Asia/Kolkata", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
const utcDay = new Intl.DateTimeFormat("en-IN", { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
const whenText = (iso) => iso ? `${istTime.format(new Date(iso))} IST` : "";
const when = (iso) => iso ? `<time datetime="${esc(iso)}" title="${esc(iso.slice(0, 16).replace("T", " "))} UTC">${whenText(iso)}</time>` : "";
const day = (iso) => iso ? utcDay.format(new Date(iso)) : "";
/** The last day of a period that ends (exclusive) at the start of the next day. */
const lastDay = (iso) => day(new Date(Date.parse(iso) - 1).toISOString());
const regions = new Intl.DisplayNames(["en"], { type: "region" });
const country = (code) => { try { return regions.of(code) ?? code; } catch { return code; } };

/** A p-value as a chance an officer can weigh. */
function chance(p) {
  if (p < 1e-12) return "less than one in a trillion";
  if (p < 1e-9) return "less than one in a billion";
  if (p < 1e-6) return "less than one in a million";
  return `about one in ${Math.round(1 / p).toLocaleString("en-IN")}`;
}

/** Where the compromised cards were cashed out, by country, most first. */
function cashoutCountries(evidence) {
  const counts = new Map();
  for (const e of evidence) if (e.cashout_country) counts.set(e.cashout_country, (counts.get(e.cashout_country) ?? 0) + 1);
  return [...counts].sort((x, y) => y[1] - x[1]).map(([code, n]) => `${esc(country(code))} (${n})`).join(", ");
}
/** How long since a moment, as an officer says it: 40 min, 5 h, 3 days. */
function age(iso) {
  const minutes = Math.max(0, (Date.now() - Date.parse(iso)) / 6e4);
  return minutes < 90 ? `${Math.round(minutes)} min` : minutes < 48 * 60 ? `${Math.round(minutes / 60)} h` : `${Math.round(minutes / 1440)} days`;
}

// The address holds what is on screen: /alerts/{id} for an open alert and the list's filters in the query, so that a
// reload, Back, and a link sent to a colleague all show the same thing.
const filters = ["status", "locality", "bank", "from", "to", "min_score"];
const alertInAddress = () => { const m = location.pathname.match(/^\/alerts\/([^/]+)$/); return m ? decodeURIComponent(m[1]) : null; };
function filterQuery() {
  const query = new URLSearchParams();
  for (const name of filters) if ($(`filter-${name}`).value) query.set(name, $(`filter-${name}`).value);
  return query;
}
function addressOf(id) {
  const query = filterQuery().toString();
  return (id ? `/alerts/${encodeURIComponent(id)}` : "/") + (query ? `?${query}` : "");
}
function filtersFromAddress() {
  const query = new URLSearchParams(location.search);
  for (const name of filters) $(`filter-${name}`).value = query.get(name) ?? (name === "status" ? "active" : "");
}
/** The list's filters as the API reads them: "all" is no status, and a period ends after its last day. */
function apiQuery() {
  const query = filterQuery();
  if (query.get("status") === "all") query.delete("status");
  if (query.get("to")) query.set("to", new Date(Date.parse(query.get("to")) + 864e5).toISOString().slice(0, 10));
  const text = query.toString();
  return text ? `?${text}` : "";
}

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", headers: { "Content-Type": "application/json" }, ...options });
  // A 401 on sign-in is a wrong password (the server says so); anywhere else the session has ended.
  if (response.status === 401 && path !== "/api/login") { showLogin(); throw new Error("signed out; sign in again"); }
  const body = response.headers.get("Content-Type")?.includes("json") ? await response.json() : null;
  if (!response.ok) throw new Error(body?.error ?? response.statusText);
  return body;
}

function showLogin() {
  // Nothing of the last user's session stays on screen.
  state.events?.close();
  for (const id of ["who", "figures", "alerts", "detail", "admin", "notice"]) $(id).textContent = "";
  $("app").classList.remove("has-detail");
  $("app").hidden = true;
  $("login").hidden = false;
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    state.user = await api("/api/login", { method: "POST", body: JSON.stringify({ name: form.get("name"), password: form.get("password") }) });
    $("login-error").textContent = "";
    await start();
  } catch (error) {
    $("login-error").textContent = error.message;
  }
});

async function start() {
  state.user ??= await api("/api/me");
  $("login").hidden = true;
  $("app").hidden = false;
  $("who").innerHTML = `${esc(state.user.name)} (${esc(state.user.role)}) <button id="logout">Sign out</button>`;
  $("logout").onclick = async () => { await api("/api/logout", { method: "POST" }); state.user = null; showLogin(); };
  await loadMap();
  fillFilterChoices();
  filtersFromAddress();
  await Promise.all([loadAlerts(), loadFigures(), loadAdmin()]);
  if (alertInAddress()) await select(alertInAddress(), { remember: false });
  listen();
}

/** For admins: webhook subscribers and how their deliveries stand (pending ones are being retried). */
async function loadAdmin() {
  if (state.user.role !== "admin") { $("admin").hidden = true; return; }
  const hooks = await api("/api/webhooks");
  $("admin").hidden = false;
  $("admin").innerHTML = `<h3>Webhooks</h3><table><tr><th>subscriber</th><th>delivered</th><th>pending</th><th>expired</th><th>last error</th></tr>
    ${hooks.map((h) => `<tr><td>${esc(h.url)}</td><td>${h.delivered}</td><td>${h.pending}</td><td>${h.expired}</td><td>${esc(h.last_error ?? "")}</td></tr>`).join("")}</table>`;
}

async function loadFigures() {
  const summary = await api("/api/summary");
  const open = summary.by_outcome.open ?? 0;
  $("figures").innerHTML = `<span><b>${open}</b> open</span><span><b>${summary.by_outcome.skimmer_found ?? 0}</b> skimmers found</span>` +
    `<span><b>${summary.by_outcome.false_alarm ?? 0}</b> false alarms</span><span><b>${summary.cards_at_risk}</b> cards at risk</span>`;
}

async function loadAlerts(highlight) {
  state.alerts = await api("/api/alerts" + apiQuery());
  $("csv").href = "/api/alerts.csv" + apiQuery();
  $("empty").hidden = state.alerts.length > 0;
  $("alerts").innerHTML = state.alerts.map((a) => `
    <li data-id="${esc(a.alert_id)}" data-testid="alert" class="${a.alert_id === state.selected ? "selected" : ""} ${a.alert_id === highlight ? "new" : ""}">
      <button type="button" class="item"><span class="badge ${esc(a.status)}">${esc(a.status)}</span> <b>${esc(a.terminal_id)}</b> ${esc(a.locality ?? "")}<br>
      <span class="muted">score ${a.score.toFixed(1)} · ${a.compromised_cards.toFixed(1)} of ${a.exposed_cards} cards · flagged ${when(a.first_flagged_at)}${a.status === "resolved" ? "" : ` · open ${age(a.first_flagged_at)}`}</span></button>
    </li>`).join("");
  // Each alert is a button: the list is the keyboard's way in (Tab reaches it, Enter or Space opens an alert).
  for (const li of $("alerts").children) li.querySelector("button").onclick = () => select(li.dataset.id);
  drawFlags();
}

async function loadMap() {
  if (state.map) return;
  const settings = await api("/api/atms");
  state.atms = settings.atms;
  state.map = L.map("map");
  if (settings.tile_url) L.tileLayer(settings.tile_url, { maxZoom: 19, attribution: "map tiles" }).addTo(state.map);
  for (const atm of state.atms)
    L.circleMarker([atm.lat, atm.lon], { radius: 3, color: "#7a8794", weight: 1, fillOpacity: 0.6 }).bindTooltip(`${esc(atm.terminal_id)} ${esc(atm.name)}`).addTo(state.map);
  const localities = new Map();
  for (const atm of state.atms) (localities.get(atm.locality) ?? localities.set(atm.locality, []).get(atm.locality)).push(atm);
  for (const [name, atms] of localities) {
    const lat = atms.reduce((s, a) => s + a.lat, 0) / atms.length, lon = atms.reduce((s, a) => s + a.lon, 0) / atms.length;
    L.marker([lat, lon], { icon: L.divIcon({ className: "atm-label", html: esc(name), iconSize: [120, 14] }), interactive: false }).addTo(state.map);
  }
  const points = state.atms.map((a) => [a.lat, a.lon]);
  if (points.length) state.map.fitBounds(points); else state.map.setView([19.29, 72.85], 13);
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => Object.assign(L.DomUtil.create("div", "legend"), {
    innerHTML: `<span><i class="dot active"></i> alert being worked</span><span><i class="dot resolved"></i> resolved alert</span><span><i class="dot atm"></i> ATM</span>`,
  });
  legend.addTo(state.map);
  state.map.getContainer().querySelector(".legend").dataset.testid = "legend";
}

function drawFlags() {
  for (const marker of state.markers.values()) marker.remove();
  state.markers.clear();
  // Resolved ones first, so that an alert still being worked is always drawn on top of them.
  for (const a of [...state.alerts].sort((x, y) => (y.status === "resolved") - (x.status === "resolved"))) {
    if (a.lat == null) continue;
    const colour = a.status === "resolved" ? "#5f6368" : "#d93025";
    const marker = L.circleMarker([a.lat, a.lon], { radius: 9, color: colour, fillColor: colour, fillOpacity: 0.85, className: "flag" })
      .bindPopup(`<b>${esc(a.terminal_id)}</b><br>${esc(a.locality ?? "")}<br>${esc(a.status)}, score ${a.score.toFixed(1)}`)
      .on("click", () => select(a.alert_id))
      .addTo(state.map);
    marker.getElement?.()?.setAttribute("data-testid", "flag");
    state.markers.set(a.alert_id, marker);
  }
}

/** The localities and banks of the registry, as choices of the list's filters. */
function fillFilterChoices() {
  const options = (values) => [...new Set(values.filter((v) => v))].sort().map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join("");
  $("filter-locality").innerHTML = `<option value="">any locality</option>${options(state.atms.map((a) => a.locality))}`;
  $("filter-bank").innerHTML = `<option value="">any bank</option>${options(state.atms.map((a) => a.bank_id))}`;
}

/** Back and Forward move between the list and the alerts opened, with the filters each had. */
window.addEventListener("popstate", async () => {
  if (!state.user) return;
  filtersFromAddress();
  await loadAlerts();
  if (alertInAddress()) await select(alertInAddress(), { remember: false });
  else closeDetail();
});

function closeDetail() {
  state.selected = null;
  $("app").classList.remove("has-detail");
  state.map?.invalidateSize();
  for (const li of $("alerts").children) li.classList.remove("selected");
  $("detail").hidden = true;
  $("detail").textContent = "";
}

async function select(id, { remember = true } = {}) {
  state.selected = id;
  if (remember && location.pathname + location.search !== addressOf(id)) history.pushState(null, "", addressOf(id));
  for (const li of $("alerts").children) li.classList.toggle("selected", li.dataset.id === id);
  let detail;
  try {
    detail = await api(`/api/alerts/${encodeURIComponent(id)}`);
  } catch (error) {
    $("detail").hidden = false;
    $("detail").innerHTML = `<p class="error" data-testid="detail-error">Alert ${esc(id)} cannot be shown: ${esc(error.message)}.</p>`;
    return;
  }
  const a = detail.alert;
  const marker = state.markers.get(id);
  if (marker) { state.map.setView(marker.getLatLng(), Math.max(state.map.getZoom(), 15)); marker.openPopup(); }
  const canAct = ["officer", "admin"].includes(state.user.role);
  const atm = state.atms.find((t) => t.terminal_id === a.terminal_id);
  const places = cashoutCountries(detail.evidence);
  $("detail").hidden = false;
  $("app").classList.add("has-detail");
  state.map.invalidateSize();
  $("detail").innerHTML = `
    <button id="close-detail" class="close" data-testid="close-detail">Back to the list</button>
    <h2>${esc(a.terminal_id)} <span class="badge ${esc(a.status)}" data-testid="status">${esc(a.status)}</span> ${esc(a.outcome ?? "")}</h2>
    <p class="where" data-testid="where"><b>${esc(atm?.name ?? a.terminal_type)}</b> · ${esc(a.locality ?? atm?.locality ?? "locality unknown")} ·
       owned by ${esc(a.owner_bank ?? atm?.bank_id ?? "unknown")} · flagged ${when(a.first_flagged_at)}</p>
    <p class="finding" data-testid="finding"><b>${detail.evidence.length} of the ${a.exposed_cards} cards</b> used here between
       <b>${day(a.window_from)}</b> and <b>${lastDay(a.window_to)}</b> later turned out compromised${places ? `; their clones were cashed out in ${places}` : ""}.
       The chance of so many by coincidence: ${chance(a.p_value)}. <b>${a.cards_at_risk}</b> other cards used here then are at risk; their banks have the list.
       <a href="/api/alerts/${encodeURIComponent(id)}/report" target="_blank">Case report</a></p>
    <details><summary>Analyst's figures</summary><p>k ${a.compromised_cards.toFixed(1)} weighted compromised of n ${a.exposed_cards} cards,
       p = ${a.p_value.toExponential(1)}, score ${a.score.toFixed(1)}; skimmer period ${esc(a.window_from)} to ${esc(a.window_to)} (UTC, end excluded)</p></details>
    <h3>Timeline</h3>${timeline(a, detail.evidence)}
    <h3>Where the compromised cards were cashed out</h3>
    <table data-testid="evidence"><tr><th>card</th><th>bank</th><th>visited here</th><th>signal</th><th>first fraud</th><th>cashed out at</th></tr>
      ${detail.evidence.map((e) => `<tr><td>${esc(e.card_token.slice(0, 12))}…</td><td>${esc(e.bank_id)}</td><td>${when(e.visited_at)}</td>
        <td>${esc(e.signal)} ${esc(e.fraud_type ?? "")}</td><td>${when(e.first_fraud_at)}</td><td>${esc(e.cashout_terminal_id ?? "")} ${esc(e.cashout_country ?? "")}</td></tr>`).join("")}
    </table>
    ${canAct ? `<div class="actions">
      <label class="note">Note for the record <span class="muted">(required to dispatch or resolve: who was sent, what was found)</span>
        <textarea id="note" rows="2"></textarea></label>
      ${actionButton(a, "acknowledge", "Acknowledge")}
      ${actionButton(a, "dispatch", "Dispatch a team")}
      <label>Outcome <select id="outcome" ${allowed(a).includes("resolve") ? "" : "disabled"}><option value="skimmer_found">skimmer found</option><option value="false_alarm">false alarm</option><option value="duplicate">duplicate</option></select></label>
      ${actionButton(a, "resolve", "Resolve…")}
      ${actionButton(a, "reopen", "Reopen")}
      <div id="confirm" class="confirm" data-testid="confirm" hidden></div>
      <p class="error" id="action-error" role="alert"></p></div>` : ""}
    <h3>History</h3>
    <table data-testid="history">${detail.history.map((h) => `<tr><td>${when(h.at)}</td><td>${esc(h.actor)}</td><td>${esc(h.action)}</td><td>${esc(h.note ?? "")}</td></tr>`).join("")}</table>`;
  for (const button of $("detail").querySelectorAll("button[data-action]"))
    button.onclick = () => button.dataset.action === "resolve" ? confirmResolve(a) : act(a, button.dataset.action);
  $("close-detail").onclick = () => { history.pushState(null, "", addressOf(null)); closeDetail(); };
}

/** What can be done from an alert's state (the server enforces the same lifecycle). */
const allowed = (alert) => ({ open: ["acknowledge", "dispatch", "resolve"], acknowledged: ["dispatch", "resolve"], dispatched: ["resolve"], resolved: ["reopen"] })[alert.status] ?? [];
const actionButton = (alert, action, label) =>
  `<button data-action="${action}" data-testid="${action}" ${allowed(alert).includes(action) ? "" : "disabled"}>${label}</button>`;
const needsNote = (action) => action === "dispatch" || action === "resolve";
const done = { acknowledge: "acknowledged", dispatch: "dispatched: a team is on its way", resolve: "resolved", reopen: "reopened" };

/** Closing a case is asked twice: a real skimmer was once closed as a false alarm with one click. */
function confirmResolve(alert) {
  if (!$("note").value.trim()) { $("action-error").textContent = "a note is required to resolve an alert: what was found at the terminal"; return; }
  const outcome = $("outcome").selectedOptions[0].textContent;
  $("confirm").hidden = false;
  $("confirm").innerHTML = `Close ${esc(alert.terminal_id)} as <b>${esc(outcome)}</b>? It leaves the active list.
    <button id="confirm-yes" data-testid="confirm-resolve">Yes, close it</button> <button id="confirm-no">Cancel</button>`;
  $("confirm-yes").onclick = () => act(alert, "resolve");
  $("confirm-no").onclick = () => { $("confirm").hidden = true; };
  $("confirm-yes").focus();
}

async function act(alert, action) {
  const id = alert.alert_id;
  const note = $("note").value.trim();
  if (needsNote(action) && !note) {
    $("action-error").textContent = action === "dispatch" ? "a note is required to dispatch a team: who was sent, and when" : "a note is required";
    return;
  }
  try {
    await api(`/api/alerts/${encodeURIComponent(id)}/${action}`, { method: "POST", body: JSON.stringify({ note: note || null, outcome: action === "resolve" ? $("outcome").value : null }) });
    await Promise.all([loadAlerts(), loadFigures()]);
    await select(id, { remember: false });
    $("notice").textContent = `${alert.terminal_id} ${done[action]}.`;
  } catch (error) {
    $("action-error").textContent = error.message;
  }
}

/** The estimated skimmer period as a band on a date axis, the compromised cards' visits here and their first frauds. */
function timeline(alert, evidence) {
  const times = [alert.window_from, alert.window_to, ...evidence.flatMap((e) => [e.visited_at, e.first_fraud_at])].map((t) => Date.parse(t));
  const [min, max] = [Math.min(...times) - 864e5, Math.max(...times) + 864e5];
  const x = (t) => 40 + (Date.parse(t) - min) / (max - min) * 620;
  const frauds = evidence.map((e) => e.first_fraud_at).sort();
  return `<svg width="680" height="90" viewBox="0 0 680 90" role="img" aria-label="timeline" data-testid="timeline">
    <rect x="${x(alert.window_from)}" y="10" width="${Math.max(2, x(alert.window_to) - x(alert.window_from))}" height="60" fill="#fde2e1"/>
    <text x="${x(alert.window_from)}" y="84">skimmer period</text>
    ${evidence.map((e) => `<circle cx="${x(e.visited_at)}" cy="30" r="4" fill="#d93025"><title>visit ${whenText(e.visited_at)}</title></circle>`).join("")}
    ${frauds.map((t, i) => `<circle cx="${x(t)}" cy="${60 - i * 40 / Math.max(1, frauds.length)}" r="3" fill="#1a73e8"><title>first fraud ${whenText(t)}</title></circle>`).join("")}
    <text x="40" y="8">${day(new Date(min).toISOString())}</text><text x="600" y="8">${day(new Date(max).toISOString())}</text>
    <text x="560" y="30"><tspan fill="#d93025">●</tspan> visits here</text><text x="560" y="60"><tspan fill="#1a73e8">●</tspan> first frauds</text></svg>`;
}

function listen() {
  state.events?.close();
  state.events = new EventSource("/api/events");
  const refresh = async (event) => {
    const id = JSON.parse(event.data);
    if (event.type === "raised") $("notice").textContent = `New alert: ${id}`;
    await Promise.all([loadAlerts(event.type === "raised" ? id : undefined), loadFigures(), loadAdmin()]);
    if (state.selected === id) await select(id, { remember: false });
  };
  for (const kind of ["raised", "updated", "reopened", "withdrawn", "cards_at_risk", "acknowledge", "dispatch", "resolve", "reopen"])
    state.events.addEventListener(kind, refresh);
}

// A filter changed: the list follows, and the address (replaced, so Back still leaves the list, not each filter).
for (const name of filters)
  $(`filter-${name}`).onchange = () => { history.replaceState(null, "", addressOf(state.selected)); loadAlerts(); };
start().catch(() => showLogin());
