/*
 * The CTHT dashboard: the public API, read anonymously with fetch(), drawn as plain DOM.
 *
 * Copy it freely (AGPL-3.0-or-later, like the rest of the project). On another origin, set
 * API below to the service's address and ask its operators to list your origin in
 * CORS_ALLOWED_ORIGINS. Endpoints used (documented at /api/docs/):
 *   /api/v1/countries/                           statements per country (the whole record)
 *   /api/v1/stats/statements/?group_by=month     statements per month, with the filters
 *   /api/v1/statements/?ordering=-date           the latest statements, with the filters
 *   the same with format=csv                     the "Download CSV" link
 */
"use strict";

const API = "/api/v1/";
const SVG = "http://www.w3.org/2000/svg";

const form = document.getElementById("filters");
const countryPicker = document.getElementById("country");
const searchBox = document.getElementById("q");

/** An element with a class and a text (text, not HTML: the record's words are never markup). */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A query string of the given parameters, the empty ones left out. */
function query(params) {
  return new URLSearchParams(Object.entries(params).filter(([, value]) => value)).toString();
}

function apiUrl(path, params) {
  return `${API}${path}?${query(params)}`;
}

/** Seconds to wait from a Retry-After header: a number of seconds or an HTTP date. */
function retryAfterSeconds(header) {
  const seconds = Number(header);
  if (header && Number.isFinite(seconds)) return seconds;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1 : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * GET a URL as JSON. A 429 (rate limited) waits for its Retry-After and tries once more;
 * any other error throws the API's problem+json `title`, `detail` and `errors` (RFC 9457).
 */
async function getJson(url, retried = false) {
  // credentials "omit": what anyone sees, even in a browser signed in to the admin (whose
  // session cookie would otherwise show its drafts here).
  const request = { credentials: "omit", headers: { Accept: "application/json" } };
  const response = await fetch(url, request).catch(() => {
    throw new Error("the API could not be reached (network error).");
  });
  if (response.status === 429 && !retried) {
    const seconds = retryAfterSeconds(response.headers.get("Retry-After"));
    showStatus(`The API is rate limiting this browser: retrying in ${seconds} s.`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    showStatus("");
    return getJson(url, true);
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    const details = [problem.detail, ...(problem.errors || []).map((error) => error.message)];
    const explained = details.filter(Boolean).join(" ");
    const title = `${problem.title || response.statusText || "Error"} (HTTP ${response.status})`;
    throw new Error(explained ? `${title}: ${explained}` : title);
  }
  return response.json();
}

/** Every row of a list, following `next` from page to page. */
async function getAll(url) {
  const rows = [];
  for (let next = url; next; ) {
    const page = await getJson(next);
    rows.push(...page.results);
    next = page.next;
  }
  return rows;
}

function showStatus(message) {
  document.getElementById("status").textContent = message;
}

/**
 * Runs `load` for a section: busy while it runs, and a clear message if the API refuses.
 * `current` says whether the answer is still wanted (the filters may have changed since).
 */
async function inSection(section, what, load, current = () => true) {
  section.setAttribute("aria-busy", "true");
  document.querySelector(`#errors [data-section="${section.id}"]`)?.remove();
  try {
    await load();
  } catch (error) {
    if (!current()) return;
    const message = element("p", null, `${what}: ${error.message}`);
    message.dataset.section = section.id;
    document.getElementById("errors").append(message);
  } finally {
    if (current()) section.setAttribute("aria-busy", "false");
  }
}

/** Horizontal bars: each row is its label and count as text, the bar a picture of the count. */
function drawBars(list, rows) {
  const largest = Math.max(1, ...rows.map((row) => row.count));
  list.replaceChildren(
    ...rows.map(({ key, label, count }) => {
      const item = element("li");
      item.dataset.key = key;
      const picture = document.createElementNS(SVG, "svg");
      picture.setAttribute("viewBox", "0 0 100 10");
      picture.setAttribute("preserveAspectRatio", "none");
      picture.setAttribute("aria-hidden", "true");
      const bar = document.createElementNS(SVG, "rect");
      bar.setAttribute("width", (100 * count) / largest);
      bar.setAttribute("height", 10);
      picture.append(bar);
      item.append(element("span", "bar-label", label), picture);
      item.append(element("span", "bar-count", count));
      return item;
    }),
  );
}

/** Months in order, the empty ones between them included (a timeline shows its gaps)
 * unless they span more than MAX_GAP_FILLED_MONTHS (one statement dated 0999 would draw
 * twelve thousand bars), then the statements whose date is unknown (`month` null). */
const MAX_GAP_FILLED_MONTHS = 600;

function monthRows(results) {
  const counts = new Map(results.map((row) => [row.month, row.count]));
  const months = results.map((row) => row.month).filter(Boolean).sort();
  const rows = [];
  const span = months.length ? monthIndex(months.at(-1)) - monthIndex(months[0]) + 1 : 0;
  if (span > MAX_GAP_FILLED_MONTHS) {
    rows.push(...months.map((key) => ({ key, label: key, count: counts.get(key) })));
  } else if (months.length) {
    let [year, month] = months[0].split("-").map(Number);
    for (let key = months[0]; key <= months.at(-1); ) {
      rows.push({ key, label: key, count: counts.get(key) || 0 });
      [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
      key = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
    }
  }
  if (counts.has(null)) {
    rows.push({ key: "unknown", label: "date unknown", count: counts.get(null) });
  }
  return rows;
}

function monthIndex(key) {
  const [year, month] = key.split("-").map(Number);
  return year * 12 + month - 1;
}

/** One statement: the words, then who said them, when, where, and the source. */
function statementItem(statement) {
  const item = element("li");
  const words = element("blockquote", null, statement.text);
  words.lang = statement.language;
  const meta = element("p", "meta");
  meta.append(
    element("span", "speaker", statement.speaker.full_name),
    ` · ${statement.date || "date unknown"}`,
    ` · Event: `,
    element("span", "event", statement.event ? statement.event.title : "none recorded"),
    ` · Source: `,
    element("span", "source", statement.source ? statement.source.title : "none recorded"),
    " · ",
  );
  const link = element("a", null, "API entry");
  link.href = statement.url;
  meta.append(link);
  item.append(words, meta);
  return item;
}

function loadCountries() {
  const section = document.getElementById("per-country");
  return inSection(section, "Statements per country", async () => {
    const countries = await getAll(apiUrl("countries/", { page_size: 500 }));
    const label = (country) => `${country.name} (${country.code})`;
    const bars = countries.map((country) => ({
      key: country.code,
      label: label(country),
      count: country.statement_count,
    }));
    drawBars(section.querySelector("ol"), bars);
    const chosen = countryPicker.value;
    countryPicker.replaceChildren(
      new Option("All countries", ""),
      ...countries.map((country) => {
        const plural = country.statement_count === 1 ? "statement" : "statements";
        return new Option(`${label(country)}, ${country.statement_count} ${plural}`, country.code);
      }),
    );
    countryPicker.value = chosen;
  });
}

let generation = 0; // answers to an older choice of filters are dropped, not drawn

/** Redraws what depends on the filters: the timeline, the latest statements, the CSV link. */
function refresh() {
  const filters = { country: countryPicker.value, q: searchBox.value.trim() };
  const ticket = ++generation;
  const current = () => ticket === generation;
  const parts = [filters.country ? `Country: ${filters.country}` : "All countries"];
  if (filters.q) parts.push(`matching “${filters.q}”`);
  const description = `${parts.join(", ")}.`;

  document.getElementById("csv").href = apiUrl("statements/", { ...filters, format: "csv" });
  history.replaceState(null, "", query(filters) ? `?${query(filters)}` : location.pathname);

  const perMonth = document.getElementById("per-month");
  const timeline = inSection(
    perMonth,
    "Statements per month",
    async () => {
      const stats = await getJson(apiUrl("stats/statements/", { ...filters, group_by: "month" }));
      if (!current()) return;
      document.getElementById("per-month-note").textContent = description;
      drawBars(perMonth.querySelector("ol"), monthRows(stats.results));
    },
    current,
  );

  const latest = document.getElementById("latest");
  const statements = inSection(
    latest,
    "Latest statements",
    async () => {
      const latestTen = { ...filters, ordering: "-date", page_size: 10 };
      const page = await getJson(apiUrl("statements/", latestTen));
      if (!current()) return;
      document.getElementById("latest-note").textContent = description;
      latest.querySelector("ol").replaceChildren(...page.results.map(statementItem));
      latest.querySelector(".empty").hidden = page.results.length > 0;
    },
    current,
  );
  return Promise.all([timeline, statements]);
}

// The filters live in the page's address, so a view can be bookmarked and shared.
// Until the countries arrive, the picker holds the one in the address.
const start = new URLSearchParams(location.search);
const startCountry = start.get("country") || "";
if (startCountry) countryPicker.append(new Option(startCountry, startCountry));
countryPicker.value = startCountry;
searchBox.value = start.get("q") || "";
form.addEventListener("submit", (event) => {
  event.preventDefault();
  refresh();
});
countryPicker.addEventListener("change", refresh);
loadCountries();
refresh();
