// The live dashboard: polls /v1/dashboard (the same registry Prometheus scrapes), turns totals
// into rates, and keeps the last WINDOW seconds in uPlot charts. No build step, no framework.
'use strict';
(function () {
  const POLL_MS = 2000;
  const WINDOW_S = 300;
  const COLORS = ['#4fb3ff', '#ffb84f', '#7ddc7d', '#ff6b6b', '#c792ea', '#5ad1c6', '#f78c6c', '#c3e88d'];
  const history = []; // snapshots, oldest first
  const charts = {};

  const fmt = (n, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n >= 1e6 ? (n / 1e6).toFixed(digits) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(digits) + 'k' : (Math.round(n * 10 ** digits) / 10 ** digits).toString());

  function chart(name, seriesNames, opts = {}) {
    const el = document.querySelector(`[data-chart="${name}"]`);
    const width = Math.max(320, el.clientWidth - 12);
    const series = [{}].concat(seriesNames.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: false } })));
    const data = [[]].concat(seriesNames.map(() => []));
    const u = new uPlot(
      { width, height: 200, series, axes: [{ stroke: '#8a96a3', grid: { stroke: '#232b34' } }, { stroke: '#8a96a3', grid: { stroke: '#232b34' }, size: 60, ...(opts.yAxis || {}) }], scales: { x: { time: true } }, legend: { live: true } },
      data,
      el,
    );
    charts[name] = { u, seriesNames };
    return u;
  }

  /** Rebuilds a chart when its set of series changes (a new source appears). */
  function ensureChart(name, seriesNames) {
    const existing = charts[name];
    if (existing && existing.seriesNames.join('\n') === seriesNames.join('\n')) return existing.u;
    if (existing) existing.u.destroy();
    return chart(name, seriesNames);
  }

  function rate(a, b, pick) {
    const dt = (b.time - a.time) / 1000;
    if (dt <= 0) return 0;
    return Math.max(0, (pick(b) - pick(a)) / dt);
  }

  function render() {
    if (history.length < 2) return;
    const pairs = history.slice(1).map((s, i) => [history[i], s]);
    const xs = pairs.map(([, b]) => b.time / 1000);
    const latest = history[history.length - 1];
    const prev = history[history.length - 2];

    const sourceKeys = [...new Set(history.flatMap((s) => s.throughput.map((t) => `${t.source}/${t.type}`)))].sort();
    const events = (s, key) => (s.throughput.find((t) => `${t.source}/${t.type}` === key) || { events: 0 }).events;
    const throughput = ensureChart('throughput', sourceKeys.length ? sourceKeys : ['(no events yet)']);
    throughput.setData([xs].concat((sourceKeys.length ? sourceKeys : ['']).map((k) => pairs.map(([a, b]) => (k ? rate(a, b, (s) => events(s, k)) : 0)))));

    const freshness = ensureChart('freshness', ['probe (accepted → queryable)', 'event-time lag']);
    freshness.setData([xs, pairs.map(([, b]) => b.freshness.probe_seconds), pairs.map(([, b]) => b.process.event_time_lag_seconds)]);

    const backlog = ensureChart('backlog', ['backlog']);
    backlog.setData([xs, pairs.map(([, b]) => b.process.backlog)]);

    const codes = [...new Set(history.flatMap((s) => Object.keys(s.ingest.rejected)))].sort();
    const errorSeries = codes.concat(['errors (all stages)']);
    const errors = ensureChart('errors', errorSeries);
    errors.setData([xs].concat(codes.map((c) => pairs.map(([a, b]) => rate(a, b, (s) => s.ingest.rejected[c] || 0)))).concat([pairs.map(([a, b]) => rate(a, b, (s) => Object.values(s.errors).reduce((x, y) => x + y, 0)))]));

    const quality = ensureChart('quality', ['late', 'dedup hits']);
    quality.setData([xs, pairs.map(([a, b]) => rate(a, b, (s) => s.process.late)), pairs.map(([a, b]) => rate(a, b, (s) => s.process.duplicates))]);

    const stores = ensureChart('stores', ['hot store rows', 'cold store MB']);
    stores.setData([xs, pairs.map(([, b]) => b.stores.hot_rows), pairs.map(([, b]) => b.stores.cold_bytes / 1e6)]);

    document.getElementById('tile-rate').textContent = fmt(rate(prev, latest, (s) => s.ingest.accepted));
    document.getElementById('tile-fresh').textContent = latest.freshness.probe_seconds === null ? '–' : fmt(latest.freshness.probe_seconds, 2) + ' s';
    document.getElementById('tile-backlog').textContent = fmt(latest.process.backlog, 0);
    document.getElementById('tile-rejected').textContent = fmt(rate(prev, latest, (s) => Object.values(s.ingest.rejected).reduce((x, y) => x + y, 0)));
    document.getElementById('tile-rows').textContent = fmt(latest.stores.hot_rows, 0);
    window.__sightline = { charts, history };
  }

  async function poll() {
    const status = document.getElementById('status');
    try {
      const response = await fetch('/v1/dashboard', { cache: 'no-store' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      history.push(await response.json());
      while (history.length > 2 && (history[history.length - 1].time - history[0].time) / 1000 > WINDOW_S) history.shift();
      status.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
      status.classList.remove('bad');
      render();
    } catch (err) {
      status.textContent = `disconnected (${err.message}); retrying`;
      status.classList.add('bad');
    }
  }

  async function lookup(event) {
    event.preventDefault();
    const id = document.getElementById('lookup-id').value.trim();
    const out = document.getElementById('lookup-result');
    out.textContent = 'looking…';
    const response = await fetch(`/v1/events/${encodeURIComponent(id)}`);
    const body = await response.json();
    out.replaceChildren();
    if (!response.ok) {
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = `${body.code}: ${body.message}`;
      out.append(p);
      return;
    }
    const rows = [
      ['event', `${body.event.source}.${body.event.type} at ${new Date(body.event.timestamp).toISOString()}`],
      ['trace id', body.trace_id || '(none)'],
      ['log', `topic ${body.path.log.topic}, partition ${body.path.log.partition}, offset ${body.path.log.offset}`],
      ['hot store', `commit ${body.path.hot_store.commit}${body.path.hot_store.late ? ', late (not counted in windows)' : ''}`],
      ['cold store', body.path.cold_store ? body.path.cold_store.file : 'not exported yet'],
      ['contract', body.event.metadata.contract ? `${body.event.metadata.contract.subject} v${body.event.metadata.contract.version} (id ${body.event.metadata.contract.id})` : 'none'],
      ['payload', JSON.stringify(body.event.payload)],
    ];
    const dl = document.createElement('dl');
    dl.id = 'lookup-path';
    for (const [k, v] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      const code = document.createElement('code');
      code.textContent = v;
      code.dataset.field = k.replace(' ', '-');
      dd.append(code);
      dl.append(dt, dd);
    }
    out.append(dl);
  }

  document.getElementById('lookup-form').addEventListener('submit', (e) => void lookup(e));
  void poll();
  setInterval(() => void poll(), POLL_MS);
})();
