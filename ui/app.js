// The live dashboard: loads the last hour the server kept (/v1/dashboard/history), then polls
// /v1/dashboard (the same registry Prometheus scrapes), turns totals into rates, and keeps the last
// WINDOW seconds in uPlot charts. No build step, no framework.
'use strict';
(function () {
  const POLL_MS = 2000;
  const WINDOW_S = 3600;
  const COLORS = ['#4fb3ff', '#ffb84f', '#7ddc7d', '#ff6b6b', '#c792ea', '#5ad1c6', '#f78c6c', '#c3e88d'];
  const history = []; // snapshots, oldest first
  const charts = {};

  const fmt = (n, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? '–' : n >= 1e6 ? (n / 1e6).toFixed(digits) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(digits) + 'k' : (Math.round(n * 10 ** digits) / 10 ** digits).toString());

  /**
   * A chart; the series named in `right` are of another scale (seconds of lag beside
   * milliseconds of freshness, megabytes beside rows) and get their own axis on the right.
   */
  function chart(name, seriesNames, right = []) {
    const el = document.querySelector(`[data-chart="${name}"]`);
    const width = Math.max(320, el.clientWidth - 12);
    const series = [{}].concat(
      seriesNames.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: false }, scale: right.includes(label) ? 'right' : 'y', value: (_u, v) => fmt(v, 2) })),
    );
    const data = [[]].concat(seriesNames.map(() => []));
    const axis = { stroke: '#8a96a3', grid: { stroke: '#232b34' }, size: 60 };
    const axes = [{ stroke: '#8a96a3', grid: { stroke: '#232b34' } }, axis].concat(right.length ? [{ ...axis, scale: 'right', side: 1, grid: { show: false } }] : []);
    const u = new uPlot({ width, height: 200, series, axes, scales: { x: { time: true } }, legend: { live: true } }, data, el);
    charts[name] = { u, seriesNames };
    return u;
  }

  /** Rebuilds a chart when its set of series changes (a new source appears). */
  function ensureChart(name, seriesNames, right = []) {
    const existing = charts[name];
    if (existing && existing.seriesNames.join('\n') === seriesNames.join('\n')) return existing.u;
    if (existing) existing.u.destroy();
    return chart(name, seriesNames, right);
  }

  /** New data, with the legend showing the latest values without hovering. */
  function draw(u, data) {
    u.setData(data);
    // uPlot redraws (and resets the legend to the cursor) in a microtask queued by setData: after it.
    if (data[0].length > 0) queueMicrotask(() => u.cursor.idx == null && u.setLegend({ idx: data[0].length - 1 }));
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
    draw(throughput, [xs].concat((sourceKeys.length ? sourceKeys : ['']).map((k) => pairs.map(([a, b]) => (k ? rate(a, b, (s) => events(s, k)) : 0)))));

    const freshness = ensureChart('freshness', ['probe (accepted → queryable)', 'event-time lag'], ['event-time lag']);
    draw(freshness, [xs, pairs.map(([, b]) => b.freshness.probe_seconds), pairs.map(([, b]) => b.process.event_time_lag_seconds)]);

    const backlog = ensureChart('backlog', ['backlog']);
    draw(backlog, [xs, pairs.map(([, b]) => b.process.backlog)]);

    const codes = [...new Set(history.flatMap((s) => Object.keys(s.ingest.rejected)))].sort();
    const errorSeries = codes.concat(['errors (all stages)']);
    const errors = ensureChart('errors', errorSeries);
    draw(errors, [xs].concat(codes.map((c) => pairs.map(([a, b]) => rate(a, b, (s) => s.ingest.rejected[c] || 0)))).concat([pairs.map(([a, b]) => rate(a, b, (s) => Object.values(s.errors).reduce((x, y) => x + y, 0)))]));

    const quality = ensureChart('quality', ['late', 'dedup hits']);
    draw(quality, [xs, pairs.map(([a, b]) => rate(a, b, (s) => s.process.late)), pairs.map(([a, b]) => rate(a, b, (s) => s.process.duplicates))]);

    const stores = ensureChart('stores', ['hot store rows', 'cold store MB'], ['cold store MB']);
    draw(stores, [xs, pairs.map(([, b]) => b.stores.hot_rows), pairs.map(([, b]) => b.stores.cold_bytes / 1e6)]);

    document.getElementById('tile-rate').textContent = fmt(rate(prev, latest, (s) => s.ingest.accepted));
    document.getElementById('tile-fresh').textContent = latest.freshness.probe_seconds === null ? '–' : fmt(latest.freshness.probe_seconds, 2) + ' s';
    document.getElementById('tile-backlog').textContent = fmt(latest.process.backlog, 0);
    document.getElementById('tile-rejected').textContent = fmt(rate(prev, latest, (s) => Object.values(s.ingest.rejected).reduce((x, y) => x + y, 0)));
    document.getElementById('tile-rows').textContent = fmt(latest.stores.hot_rows, 0);
    // Since start: hits over lookups of the aggregates and pipes caches.
    const serving = latest.serving || { cache_hits: 0, cache_misses: 0 };
    const lookups = serving.cache_hits + serving.cache_misses;
    document.getElementById('tile-cache').textContent = lookups > 0 ? fmt((100 * serving.cache_hits) / lookups, 1) + ' %' : '–';
    window.__sightline = { charts, history };
  }

  /**
   * The API, with the key this tab was given (kept for the tab only, in sessionStorage). A 401
   * shows the key form: where keys are required, the page asks for one with ops:read, query:read
   * and dlq:read rather than failing silently.
   */
  const KEY = 'sightline.key';
  async function api(path, init = {}) {
    const key = sessionStorage.getItem(KEY);
    const response = await fetch(path, { ...init, headers: { ...(init.headers || {}), ...(key ? { authorization: `Bearer ${key}` } : {}) } });
    if (response.status === 401) {
      const form = document.getElementById('key-form');
      form.hidden = false;
      document.getElementById('key-note').textContent = key ? 'this key was refused: ' : 'this API needs a key: ';
    }
    return response;
  }

  async function poll() {
    const status = document.getElementById('status');
    try {
      const response = await api('/v1/dashboard', { cache: 'no-store' });
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
    const response = await api(`/v1/events/${encodeURIComponent(id)}`);
    const body = await response.json();
    out.replaceChildren();
    if (!response.ok) {
      // Not stored: perhaps refused. The dead-letter queue says at which stage, and why.
      const letters = response.status === 404 ? await getJson(`/v1/dlq?event_id=${encodeURIComponent(id)}&limit=5`).catch(() => undefined) : undefined;
      if (letters && letters.dead_letters.length > 0) {
        describe(
          out,
          'lookup-letters',
          letters.dead_letters.flatMap((d) => [
            ['refused', `${d.stage} · ${d.code}${d.rule ? ` (${d.rule})` : ''} · ${new Date(d.at).toISOString()}`],
            ['why', d.message],
            ['dead letter', `${d.id}${d.replay ? ` · replay: ${d.replay.outcome}` : ''}`],
          ]),
        );
        return;
      }
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
      ['lineage', body.event.metadata.lineage ? body.event.metadata.lineage.steps.map((s) => s.step + (s.version ? ` v${s.version}` : '')).join(' → ') : '(none)'],
      ['contract', body.event.metadata.contract ? `${body.event.metadata.contract.subject} v${body.event.metadata.contract.version} (id ${body.event.metadata.contract.id})` : 'none'],
      ['enrichment', body.event.metadata.enrichment ? payloadText(body.event.metadata.enrichment) : '(none)'],
      ['payload', payloadText(body.event.payload)],
    ];
    describe(out, 'lookup-path', rows);
  }

  /** A definition list of [label, text] rows, each text in a code element named after its label. */
  function describe(out, id, rows) {
    const dl = document.createElement('dl');
    dl.id = id;
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

  /** Fills a table body; `cells` gives each row's texts (or [text, className] pairs). */
  function fillTable(id, rows, cells, empty) {
    const body = document.querySelector(`#${id} tbody`);
    body.replaceChildren();
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = document.createElement('td');
      td.colSpan = body.parentElement.querySelectorAll('th').length;
      td.className = 'empty';
      td.textContent = empty;
      tr.append(td);
      body.append(tr);
      return;
    }
    for (const row of rows) {
      const tr = document.createElement('tr');
      for (const cell of cells(row)) {
        const td = document.createElement('td');
        const [text, cls] = Array.isArray(cell) ? cell : [cell, ''];
        td.textContent = text;
        if (cls) td.className = cls;
        tr.append(td);
      }
      body.append(tr);
    }
  }

  /** A cell that never breaks across lines: a code, an id, a stage, a time. */
  const whole = (text, cls = '') => [text, `whole ${cls}`.trim()];

  const since = (iso) => {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
  };

  async function getJson(path) {
    const response = await api(path, { cache: 'no-store' });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  async function pollPanels() {
    const [alerts, dlq, quality, lineage, status] = await Promise.allSettled([
      getJson('/v1/alerts'),
      getJson('/v1/dlq?limit=10'),
      getJson('/v1/quality?limit=1'),
      getJson('/v1/lineage'),
      getJson('/v1/status'),
    ]);
    if (status.status === 'fulfilled' && status.value.log) {
      // Where each partition's records are: written, processed, committed, and what waits.
      const partitions = status.value.log.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
      const n = (v) => (v === undefined ? '–' : String(v));
      fillTable(
        'partitions',
        partitions,
        (p) => [p.topic, String(p.partition), String(p.end_offset), n(p.processed_offset), n(p.committed_offset), [n(p.backlog), p.backlog > 0 ? 'state-pending' : ''], fmt(p.bytes, 0)],
        'no topics',
      );
    }
    if (status.status === 'fulfilled' && status.value.processor) {
      // The number that explains a late event: where lateness begins for its own stream.
      const time = (t) => (t === null || t === undefined ? '–' : new Date(t).toISOString().replace('T', ' ').replace('.000Z', 'Z'));
      fillTable(
        'streams',
        status.value.processor.streams || [],
        (s) => [s.stream, time(s.watermark), time(s.late_before), time(s.final_through), time(s.newest_event), time(s.last_event_at), [s.idle ? `idle (after ${s.idle_timeout_ms / 1000}s)` : 'active', s.idle ? 'state-resolved' : '']],
        'no events processed yet',
      );
    }
    if (alerts.status === 'fulfilled') {
      const list = alerts.value.alerts;
      document.getElementById('alerts-count').textContent = `${list.filter((a) => a.state === 'firing').length} firing`;
      fillTable(
        'alerts',
        list,
        (a) => {
          const { alertname, severity, ...rest } = a.labels;
          return [whole(a.state, `state-${a.state}`), `${alertname} (${severity})`, Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(' '), whole(since(a.activeAt)), a.annotations.summary || ''];
        },
        'no alerts',
      );
    }
    if (dlq.status === 'fulfilled') {
      const list = dlq.value.dead_letters;
      document.getElementById('dlq-count').textContent = list.length ? `latest ${list.length}` : '';
      fillTable(
        'dlq',
        list,
        (d) => [whole(d.id), whole(new Date(d.at).toISOString().replace('T', ' ').slice(0, 19)), whole(d.stage), whole(d.code + (d.rule ? ` (${d.rule})` : '')), [d.source, d.type].filter(Boolean).join('.') + (d.event_id ? ` ${d.event_id}` : ''), d.message],
        'no dead letters',
      );
    }
    if (quality.status === 'fulfilled') {
      fillTable(
        'quality',
        quality.value.totals,
        (t) => [whole(t.dataset), whole(t.rule), whole(t.severity), String(t.passed), [String(t.failed), t.failed > 0 ? 'state-firing' : ''], `${((100 * t.passed) / Math.max(1, t.passed + t.failed)).toFixed(1)}%`],
        quality.value.rules.length ? 'no events checked yet' : 'no quality rules configured (quality.rules)',
      );
    }
    if (lineage.status === 'fulfilled') drawLineage(lineage.value);
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  /**
   * Draws GET /v1/lineage left to right: each node (dataset or job) in the column of its longest
   * path from a source, edges labelled with the records that crossed them and their freshness.
   */
  function drawLineage(graph) {
    const nodes = new Map();
    for (const d of graph.datasets) nodes.set(d.id, { id: d.id, kind: 'dataset', title: d.name.split('/').slice(-2).join('/'), sub: `${d.kind}${d.records !== null ? ` · ${fmt(d.records, 1)}` : ''}` });
    for (const j of graph.jobs) nodes.set(j.id, { id: j.id, kind: 'job', title: j.name, sub: j.status === 'failing' ? 'FAILING' : 'streaming' });
    const edges = graph.edges.filter((e) => nodes.has(e.from) && nodes.has(e.to));
    const layer = new Map([...nodes.keys()].map((id) => [id, 0]));
    // Longest path by relaxation; the graph is a DAG, so |nodes| rounds settle it.
    for (let round = 0; round < nodes.size; round++) {
      let changed = false;
      for (const e of edges) {
        if (layer.get(e.to) < layer.get(e.from) + 1) {
          layer.set(e.to, layer.get(e.from) + 1);
          changed = true;
        }
      }
      if (!changed) break;
    }
    const columns = [];
    for (const [id, l] of layer) (columns[l] = columns[l] || []).push(id);
    const W = 200, H = 42, GAP_X = 64, GAP_Y = 16;
    const rows = Math.max(...columns.map((c) => (c ? c.length : 0)), 1);
    const width = columns.length * (W + GAP_X);
    const height = rows * (H + GAP_Y) + 10;
    const pos = new Map();
    columns.forEach((ids, x) => (ids || []).forEach((id, y) => pos.set(id, { x: x * (W + GAP_X) + 5, y: y * (H + GAP_Y) + 5 })));
    // Fitted to the panel, but never below 1000 px wide (then scrolled sideways): never shrunk to unreadable.
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, 'data-nodes': nodes.size, 'data-edges': edges.length });
    const defs = svg('defs', {});
    const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto' });
    marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#4a5866' }));
    defs.append(marker);
    root.append(defs);
    for (const e of edges) {
      const a = pos.get(e.from), b = pos.get(e.to);
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      root.append(svg('path', { class: 'edge', d: `M${x1},${y1} C${x1 + GAP_X / 2},${y1} ${x2 - GAP_X / 2},${y2} ${x2},${y2}` }));
      const label = [e.events !== null ? fmt(e.events, 1) : '', e.freshnessSeconds !== null ? `${fmt(e.freshnessSeconds, 1)}s` : ''].filter(Boolean).join(' · ');
      // At the target's end, where each edge has its own height: labels of a fan-out do not overlap.
      if (label) root.append(svg('text', { class: 'edge-label', x: x2 - 6, y: y2 - 5, 'text-anchor': 'end' }, label));
    }
    for (const [id, n] of nodes) {
      const p = pos.get(id);
      const g = svg('g', { class: `node ${n.kind}`, transform: `translate(${p.x},${p.y})`, 'data-id': id });
      g.append(svg('title', {}, id));
      g.append(svg('rect', { width: W, height: H }));
      g.append(svg('text', { x: 6, y: 17 }, n.title.length > 30 ? `…${n.title.slice(-29)}` : n.title));
      g.append(svg('text', { class: 'sub', x: 6, y: 33 }, n.sub));
      root.append(g);
    }
    document.getElementById('lineage').replaceChildren(root);
  }

  /**
   * The newest windows of each configured aggregation, found in /openapi.json (a route per
   * aggregation, its window sizes as an enum), so the page needs no list of its own.
   */
  let aggregations;
  async function pollAggregates() {
    if (!aggregations) {
      const doc = await getJson('/openapi.json');
      aggregations = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/v1/aggregates/') && !path.includes('{'))
        .map(([path, item]) => {
          const params = item.get.parameters || [];
          const window = params.find((p) => p.name === 'window');
          const group = params.find((p) => p.in === 'query' && !['window', 'from', 'to', 'limit'].includes(p.name));
          return { path, name: path.slice('/v1/aggregates/'.length), window: window && window.schema.enum ? window.schema.enum[0] : undefined, group: group ? group.name : 'group' };
        });
    }
    const rows = [];
    for (const agg of aggregations) {
      const body = await getJson(`${agg.path}?window=${encodeURIComponent(agg.window || '')}`);
      for (const w of body.windows.slice(-12).reverse()) rows.push({ agg, w });
    }
    document.getElementById('aggregates-note').textContent = aggregations.length ? 'newest windows' : '';
    fillTable(
      'aggregates',
      rows,
      ({ agg, w }) => [agg.name, agg.window, new Date(w.window_start).toISOString().replace('T', ' ').slice(0, 16), String(w[agg.group]), String(w.count), [w.final ? 'final' : 'open', w.final ? '' : 'state-pending']],
      aggregations.length ? 'no windows yet' : 'no aggregations configured',
    );
  }

  /** JSON on one line with a space after each comma and colon, so it wraps between fields. */
  const payloadText = (payload) => JSON.stringify(payload ?? null, null, 1).replace(/\n\s*/g, ' ');

  /** The newest events, with the filters of GET /v1/events/recent (source, type, user_id). */
  async function pollRecent() {
    const params = new URLSearchParams({ limit: '20' });
    for (const [k, v] of new FormData(document.getElementById('recent-form'))) if (String(v).trim()) params.set(k, String(v).trim());
    const body = await getJson(`/v1/events/recent?${params}`);
    fillTable(
      'recent',
      body.events,
      (e) => [whole(new Date(e.timestamp).toISOString().replace('T', ' ').slice(0, 23)), whole(e.id), whole(`${e.source}/${e.type}`), whole(e.payload && e.payload.user_id !== undefined ? String(e.payload.user_id) : '–'), payloadText(e.payload)],
      'no events match',
    );
  }

  /** The last hour the server kept, drawn before the first poll: the page opens on history. */
  async function loadHistory() {
    try {
      const response = await api('/v1/dashboard/history', { cache: 'no-store' });
      if (response.ok) history.push(...(await response.json()).samples);
    } catch {
      // The live polls fill the charts anyway.
    }
  }

  document.getElementById('lookup-form').addEventListener('submit', (e) => void lookup(e));
  document.getElementById('key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(KEY, document.getElementById('key-input').value.trim());
    location.reload();
  });
  void loadHistory().then(() => {
    void poll();
    setInterval(() => void poll(), POLL_MS);
  });
  void pollPanels();
  setInterval(() => void pollPanels(), POLL_MS);
  document.getElementById('recent-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void pollRecent().catch(() => undefined);
  });
  void pollRecent().catch(() => undefined);
  setInterval(() => void pollRecent().catch(() => undefined), POLL_MS);
  void pollAggregates().catch(() => undefined);
  setInterval(() => void pollAggregates().catch(() => undefined), 5 * POLL_MS);
})();
