"""The dashboard at /dashboard/: the record at a glance, built only on the public API.

It is also the example partners copy for dashboards of their own, so it uses
nothing a partner could not: anonymous `fetch` calls to the documented v1
endpoints, on the same origin (a partner on another origin lists theirs in
`CORS_ALLOWED_ORIGINS`). The server renders an empty page; every number comes
from the API in the browser.

Choices, and why:

- **No charting library.** The two charts are horizontal bars: each is a list
  item holding its label and count as text, plus a small SVG rectangle whose
  width is the count. Screen readers and tests read the text; the picture is
  `aria-hidden`. A library would bring a vendored file and its licence, a
  canvas that screen readers cannot read, and usually inline styles that the
  Content-Security-Policy refuses; these bars are about forty lines of script.
- **No framework, no build step**: one plain script and one stylesheet under
  `static/dashboard/`, served by the app (WhiteNoise in production), so the page
  runs under the project's CSP as it is (`script-src 'self'`, no inline script,
  no outside host) and a partner can read it top to bottom.
- **Sources**: bars per country from `/api/v1/countries/` (the record as a whole,
  `statement_count`); the timeline from `/api/v1/stats/statements/?group_by=month`
  with the current country and search, so the two filters show on it; the latest
  statements from `/api/v1/statements/`; the CSV link is the same query with
  `format=csv`.
- **Errors are shown, not swallowed**: a problem+json answer's `title` and
  `detail` go to an alert region; a 429 is retried once after its `Retry-After`.
"""
