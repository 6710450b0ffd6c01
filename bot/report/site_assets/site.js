/* paretobot's dashboard: filters, charts and the compare page over the data files that
   `paretobot site` writes (data/<id>.js calls PB.add, data/index.js calls PB.index).

   Text from files and upstream is only ever set with textContent, and entity-escaped before
   Plotly draws it (Plotly reads a few HTML tags in labels). No figure is computed here: every
   estimate and every formatted change comes from the data files, made by the same code as the
   CLI. */
(function () {
  "use strict";

  // Okabe & Ito's colour-blind-safe palette; each build also gets its own marker shape, so
  // colour is never the only way to tell two builds apart.
  var COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"];
  var SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star"];
  var PLOT_CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  var PB = (window.PB = { data: {}, list: [], tables: {}, waiting: {} });

  PB.add = function (d) {
    PB.data[d.id] = d;
    var done = PB.waiting[d.id];
    delete PB.waiting[d.id];
    if (done) done(d);
  };
  PB.index = function (list) {
    PB.list = list;
  };

  // ---- small helpers ------------------------------------------------------------------------

  function esc(text) {
    // for Plotly, which reads <br>, <b>, <a> ... in labels: a model name must stay text
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) {
      node.setAttribute(k, attrs[k]);
    });
    return node;
  }
  function fmt(x, digits) {
    return x === null || x === undefined ? "–" : Number(x).toFixed(digits);
  }
  function color(i) {
    return COLORS[i % COLORS.length];
  }
  function symbol(i) {
    return SYMBOLS[i % SYMBOLS.length];
  }
  function params(hash) {
    var out = {};
    (hash || "").replace(/^#/, "").split("&").forEach(function (part) {
      var i = part.indexOf("=");
      if (i > 0) out[decodeURIComponent(part.slice(0, i))] = decodeURIComponent(part.slice(i + 1));
    });
    return out;
  }
  function hashOf(values) {
    return (
      "#" +
      Object.keys(values)
        .filter(function (k) {
          return values[k];
        })
        .map(function (k) {
          return encodeURIComponent(k) + "=" + encodeURIComponent(values[k]);
        })
        .join("&")
    );
  }

  // ---- CSV of each chart ----------------------------------------------------------------------

  function csvCell(v) {
    if (v === null || v === undefined) return "";
    var s = String(v);
    // a spreadsheet runs a cell that starts like a formula (OWASP CSV injection): quote it
    if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function keepTable(chart, name, header, rows) {
    PB.tables[chart] = { name: name, header: header, rows: rows };
  }
  PB.csv = function (chart) {
    var t = PB.tables[chart];
    if (!t) return "";
    return [t.header].concat(t.rows).map(function (r) {
      return r.map(csvCell).join(",");
    }).join("\n") + "\n";
  };
  function download(chart) {
    var t = PB.tables[chart];
    if (!t) return;
    var url = URL.createObjectURL(new Blob([PB.csv(chart)], { type: "text/csv" }));
    var a = el("a", null, { href: url, download: t.name });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 1000);
  }
  function wireDownloads() {
    document.querySelectorAll("button.csv").forEach(function (b) {
      b.addEventListener("click", function () {
        download(b.getAttribute("data-chart"));
      });
    });
  }

  function draw(id, traces, layout) {
    var node = document.getElementById(id);
    if (!node || !window.Plotly) return;
    var base = {
      margin: { l: 70, r: 20, t: 30, b: 60 },
      font: { family: "system-ui, sans-serif", size: 13 },
      legend: { orientation: "h", y: -0.25 },
      hovermode: "closest",
    };
    var all = Object.assign(base, layout);
    // long build names: the axis takes the room its labels need rather than cutting them
    all.xaxis = Object.assign({ automargin: true }, all.xaxis);
    all.yaxis = Object.assign({ automargin: true }, all.yaxis);
    window.Plotly.react(node, traces, all, PLOT_CONFIG);
    node.setAttribute("data-traces", String(traces.length));
  }

  // ---- the Pareto chart: points of every run, the frontier, the band of repeats -------------

  function paretoTraces(d, builds) {
    var traces = [];
    var rows = [];
    var C = {};
    d.point_columns.forEach(function (c, i) {
      C[c] = i;
    });
    // a build keeps its colour and marker on every page: they follow its place in the history
    builds.forEach(function (bi) {
      var b = d.builds[bi];
      var name = esc(b.label);
      var band = d.bands[String(bi)];
      if (band && band.length) {
        traces.push({
          type: "scatter", mode: "lines", fill: "toself", hoverinfo: "skip", showlegend: false,
          legendgroup: b.id, line: { width: 0 }, fillcolor: color(bi), opacity: 0.18,
          x: band.map(function (p) { return p[0]; }).concat(band.map(function (p) { return p[0]; }).reverse()),
          y: band.map(function (p) { return p[1]; }).concat(band.map(function (p) { return p[2]; }).reverse()),
          name: name + " (spread of runs)",
        });
      }
      var front = d.frontiers[String(bi)] || [];
      traces.push({
        type: "scatter", mode: "lines", name: name + " frontier", legendgroup: b.id,
        line: { color: color(bi), width: 2.5 },
        x: front.map(function (p) { return p.interactivity; }),
        y: front.map(function (p) { return p.tput_per_gpu; }),
        hoverinfo: "skip",
      });
      b.runs.forEach(function (run) {
        var mine = d.points.filter(function (r) {
          return r[C.build] === bi && r[C.run] === run;
        });
        if (!mine.length) return;
        mine.forEach(function (r) {
          rows.push([b.label, run, r[C.repeat], r[C.concurrency], r[C.interactivity], r[C.tput_per_gpu],
            r[C.median_ttft_ms], r[C.p99_ttft_ms], r[C.median_tpot_ms], r[C.p99_tpot_ms],
            r[C.median_e2el_ms], r[C.p99_e2el_ms], r[C.usable] && !r[C.suspect], r[C.suspect] || ""]);
        });
        traces.push({
          type: "scatter", mode: "markers", legendgroup: b.id, showlegend: false,
          name: name + " · " + esc(run),
          marker: {
            color: color(bi), size: 9, line: { width: 1.5, color: color(bi) },
            symbol: mine.map(function (r) {
              return symbol(bi) + (r[C.usable] && !r[C.suspect] ? "" : "-open");
            }),
          },
          x: mine.map(function (r) { return r[C.interactivity]; }),
          y: mine.map(function (r) { return r[C.tput_per_gpu]; }),
          text: mine.map(function (r) {
            var lines = [
              "<b>" + name + "</b>", "run " + esc(run) + (r[C.repeat] ? " (repeat " + r[C.repeat] + ")" : ""),
              "concurrency " + r[C.concurrency],
              fmt(r[C.tput_per_gpu], 1) + " tok/s per GPU at " + fmt(r[C.interactivity], 2) + " tok/s/user",
              "TTFT p50 " + fmt(r[C.median_ttft_ms], 1) + " ms, p99 " + fmt(r[C.p99_ttft_ms], 1) + " ms",
              "TPOT p50 " + fmt(r[C.median_tpot_ms], 2) + " ms, p99 " + fmt(r[C.p99_tpot_ms], 2) + " ms",
              "E2E p50 " + fmt(r[C.median_e2el_ms], 0) + " ms, p99 " + fmt(r[C.p99_e2el_ms], 0) + " ms",
            ];
            if (r[C.suspect]) lines.push("left out: " + esc(r[C.suspect]));
            else if (!r[C.usable]) lines.push("left out: too many failed requests");
            return lines.join("<br>");
          }),
          hoverinfo: "text",
        });
      });
    });
    return { traces: traces, rows: rows };
  }
  var PARETO_HEADER = ["build", "run", "repeat", "concurrency", "tok_s_per_user", "tput_per_gpu",
    "median_ttft_ms", "p99_ttft_ms", "median_tpot_ms", "p99_tpot_ms", "median_e2el_ms",
    "p99_e2el_ms", "used", "left_out_why"];
  var PARETO_AXES = {
    xaxis: { title: { text: "tok/s per user (interactivity)" }, rangemode: "tozero" },
    yaxis: { title: { text: "throughput per GPU (tok/s)" }, rangemode: "tozero" },
  };

  // ---- the configuration page -----------------------------------------------------------------

  function historyChart(d, by) {
    var h = d.history[by];
    if (!h) return;
    var s = h.series;
    var x = s.map(function (v) { return by === "date" ? v.at : esc(v.label); });
    var shapes = [];
    var notes = [];
    h.change_points.forEach(function (cp) {
      var at = x[cp.index];
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: at, x1: at, y0: 0, y1: 1, line: { dash: "dash", color: "#555" } });
      notes.push({ x: at, yref: "paper", y: 1, text: "step " + (cp.change >= 0 ? "+" : "") + (cp.change * 100).toFixed(1) + "%", showarrow: false, yanchor: "bottom" });
    });
    d.changes.forEach(function (c) {
      var i = s.findIndex(function (v) { return v.label === c.candidate.label; });
      if (i < 0 || s[i].value === null) return;
      notes.push({
        x: x[i], y: s[i].value, ax: 0, ay: -40, arrowhead: 2,
        text: esc(c.kind + (c.effect_text ? " " + c.effect_text : "") + (c.pull ? " · " + c.pull.replace(/^https?:\/\/github\.com\//, "") : "")),
      });
    });
    var ok = s.filter(function (v) { return v.value !== null; });
    draw("history", [{
      type: "scatter", mode: "lines+markers", name: esc(h.measure), marker: { color: color(0), size: 8 },
      x: s.map(function (v, i) { return x[i]; }), y: s.map(function (v) { return v.value; }),
      error_y: {
        type: "data", symmetric: false, color: color(0),
        array: s.map(function (v) { return v.high === null ? 0 : v.high - v.value; }),
        arrayminus: s.map(function (v) { return v.low === null ? 0 : v.value - v.low; }),
      },
      text: s.map(function (v) {
        return esc(v.label) + "<br>" + v.runs + " run(s)" + (v.at ? "<br>" + v.at.slice(0, 10) : "") +
          (v.causes.length ? "<br>failed: " + esc(v.causes.join(", ")) : "");
      }),
      hoverinfo: "text+y",
    }], {
      xaxis: { title: { text: by === "date" ? "run date" : "build" }, type: by === "date" ? "date" : "category" },
      yaxis: { title: { text: esc(h.measure) }, rangemode: "tozero" },
      shapes: shapes, annotations: notes, showlegend: false,
    });
    keepTable("history", "history-" + by + ".csv", ["label", "at", "runs", "value", "low", "high", "failures"],
      s.map(function (v) { return [v.label, v.at, v.runs, v.value, v.low, v.high, v.causes.join(" ")]; }));
    document.getElementById("history").setAttribute("data-points", String(ok.length));
  }

  function costChart(d, tier) {
    var traces = [];
    var rows = [];
    d.builds.forEach(function (b, i) {
      var f = (d.frontiers[String(i)] || []).filter(function (p) { return tier in p.cost_per_mtok; });
      if (!f.length) return;
      f.forEach(function (p) {
        rows.push([b.label, tier, p.concurrency, p.interactivity, p.tput_per_gpu, p.cost_per_mtok[tier], p.tokens_per_mw]);
      });
      traces.push({
        type: "scatter", mode: "lines+markers", name: esc(b.label),
        marker: { color: color(i), symbol: symbol(i), size: 8 }, line: { color: color(i) },
        x: f.map(function (p) { return p.interactivity; }), y: f.map(function (p) { return p.cost_per_mtok[tier]; }),
        text: f.map(function (p) {
          return esc(b.label) + "<br>concurrency " + p.concurrency + "<br>$" + p.cost_per_mtok[tier].toFixed(3) +
            " per M tokens (" + esc(tier) + ")<br>" + (p.tokens_per_mw === null ? "–" : Math.round(p.tokens_per_mw).toLocaleString("en")) + " tok/s per MW";
        }),
        hoverinfo: "text",
      });
    });
    draw("cost", traces, {
      xaxis: { title: { text: "tok/s per user (interactivity)" } },
      yaxis: { title: { text: "$ per million tokens (" + esc(tier) + ")" }, rangemode: "tozero" },
    });
    keepTable("cost", "cost-" + tier + ".csv", ["build", "tier", "concurrency", "tok_s_per_user", "tput_per_gpu", "usd_per_mtok", "tok_s_per_mw"], rows);
  }

  function configPage() {
    var ids = Object.keys(PB.data);
    if (!ids.length) return;
    var d = PB.data[ids[0]];
    var all = d.builds.map(function (b, i) { return i; });
    var p = paretoTraces(d, all);
    draw("pareto", p.traces, PARETO_AXES);
    keepTable("pareto", "pareto.csv", PARETO_HEADER, p.rows);
    var by = "build";
    historyChart(d, by);
    document.querySelectorAll("input[name=history-by]").forEach(function (r) {
      r.addEventListener("change", function () {
        historyChart(d, r.value);
      });
    });
    var tier = document.getElementById("tier");
    if (tier) {
      costChart(d, tier.value);
      tier.addEventListener("change", function () {
        costChart(d, tier.value);
      });
    }
  }

  // ---- the overview: filters and search, kept in the address so a filtered view is shared -----

  function overview() {
    var form = document.getElementById("filters");
    if (!form) return;
    var selects = form.querySelectorAll("select[data-facet]");
    var q = document.getElementById("q");
    var given = params(location.hash);
    selects.forEach(function (s) {
      if (given[s.name]) s.value = given[s.name];
    });
    if (given.q) q.value = given.q;
    function apply() {
      var want = {};
      selects.forEach(function (s) {
        if (s.value) want[s.getAttribute("data-facet")] = s.value;
      });
      var text = q.value.trim().toLowerCase();
      var shown = 0;
      var rows = document.querySelectorAll("#configs tbody tr");
      document.querySelectorAll(".filterable").forEach(function (row) {
        var ok = Object.keys(want).every(function (f) {
          return row.getAttribute("data-" + f) === want[f];
        });
        ok = ok && (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
        row.hidden = !ok;
      });
      rows.forEach(function (r) {
        if (!r.hidden) shown += 1;
      });
      document.getElementById("shown").textContent = shown + " of " + rows.length + " configurations shown";
      var values = Object.assign({}, want, { q: q.value.trim() });
      history.replaceState(null, "", hashOf(values) === "#" ? location.pathname : hashOf(values));
    }
    selects.forEach(function (s) {
      s.addEventListener("change", apply);
    });
    q.addEventListener("input", apply);
    form.addEventListener("reset", function () {
      setTimeout(apply, 0);
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
    });
    apply();
  }

  // ---- compare any two builds -------------------------------------------------------------------

  function load(id, then) {
    if (PB.data[id]) return then(PB.data[id]);
    if (!/^[0-9a-f]{12}$/.test(id)) return then(null);
    PB.waiting[id] = then;
    var s = el("script", null, { src: "data/" + id + ".js" });
    s.onerror = function () {
      delete PB.waiting[id];
      then(null);
    };
    document.body.appendChild(s);
  }

  function fill(select, items, chosen) {
    select.textContent = "";
    items.forEach(function (it) {
      var o = el("option", it.label, { value: it.value });
      if (it.value === chosen) o.selected = true;
      select.appendChild(o);
    });
  }

  function estimateRows(v) {
    var c = v.comparison;
    var out = [];
    if (!c) return out;
    [["peak", "peak throughput per GPU"], ["matched", "throughput per GPU at matched interactivity"], ["reach", "highest interactivity reached"]].forEach(function (e) {
      if (c[e[0]]) out.push([e[1], c[e[0]]]);
    });
    Object.keys(c.targets).forEach(function (t) {
      if (c.targets[t]) out.push(["throughput per GPU at " + t + " tok/s/user", c.targets[t]]);
    });
    return out;
  }

  function comparePage() {
    var pick = { c: document.getElementById("pick-config"), b: document.getElementById("pick-base"), n: document.getElementById("pick-cand") };
    var find = document.getElementById("find");
    var status = document.getElementById("status");
    var given = params(location.hash);
    var state = { c: given.c || "", b: given.b || "", n: given.n || "" };
    var withTwo = PB.list.filter(function (x) { return x.builds.length >= 2; });
    if (!state.c) state.c = (withTwo[0] || PB.list[0] || { id: "" }).id;
    function configs() {
      var text = find.value.trim().toLowerCase();
      return PB.list.filter(function (x) {
        return x.id === state.c || !text || x.slug.toLowerCase().indexOf(text) >= 0;
      }).map(function (x) {
        return { value: x.id, label: x.slug + " (" + x.builds.length + " builds)" };
      });
    }
    function show() {
      fill(pick.c, configs(), state.c);
      load(state.c, function (d) {
        var result = document.getElementById("result");
        if (!d) {
          result.hidden = true;
          status.textContent = "No configuration " + state.c + " in this site: pick one above.";
          return;
        }
        var ids = d.builds.map(function (b) { return b.id; });
        if (ids.indexOf(state.n) < 0) state.n = ids[ids.length - 1];
        if (ids.indexOf(state.b) < 0) state.b = ids.length > 1 ? ids[ids.length - 2] : ids[0];
        var items = d.builds.map(function (b) { return { value: b.id, label: b.label }; });
        fill(pick.b, items, state.b);
        fill(pick.n, items, state.n);
        history.replaceState(null, "", hashOf(state));
        var bi = ids.indexOf(state.b);
        var ni = ids.indexOf(state.n);
        var p = paretoTraces(d, bi === ni ? [bi] : [bi, ni]);
        result.hidden = false;
        draw("compare-chart", p.traces, PARETO_AXES);
        keepTable("compare-chart", "compare.csv", PARETO_HEADER, p.rows);
        var v = d.compare[state.b + "-" + state.n];
        var verdict = document.getElementById("verdict");
        verdict.textContent = "";
        var body = document.querySelector("#estimates tbody");
        body.textContent = "";
        var notes = document.getElementById("notes");
        notes.textContent = "";
        var cmd = document.getElementById("command");
        if (bi === ni) {
          status.textContent = d.builds.length < 2
            ? "This configuration has one build: nothing to compare yet."
            : "Baseline and candidate are the same build: pick two.";
          document.getElementById("effect").textContent = "";
          cmd.textContent = "";
          return;
        }
        if (!v && d.compare[state.n + "-" + state.b]) {
          status.textContent = "Estimates are made with the older build as the baseline: press Swap to see this pair's, or run the command below for this direction.";
        }
        if (!v) {
          if (!d.compare[state.n + "-" + state.b]) status.textContent = "This pair was not compared when the site was built (every pair among the 6 newest builds is, older build as the baseline, and each older build against the next and the newest): the command below gives the verdict.";
          document.getElementById("effect").textContent = "";
          cmd.textContent = "paretobot compare --config " + d.slug_arg + " --baseline " + d.builds[bi].selector_arg + " --candidate " + d.builds[ni].selector_arg;
          return;
        }
        status.textContent = "";
        verdict.appendChild(el("span", v.verdict, { class: "badge k-" + v.verdict }));
        verdict.appendChild(document.createTextNode(" " + v.reason));
        document.getElementById("effect").textContent = v.effect || "";
        estimateRows(v).forEach(function (row) {
          var e = row[1];
          var tr = el("tr");
          tr.appendChild(el("th", row[0], { scope: "row" }));
          [e.change, e.interval, fmt(e.baseline, 2), fmt(e.candidate, 2), e.n_baseline + " vs " + e.n_candidate].forEach(function (t) {
            tr.appendChild(el("td", t));
          });
          body.appendChild(tr);
        });
        (v.comparison ? v.comparison.notes : []).concat(v.run_health).forEach(function (n) {
          notes.appendChild(el("li", n));
        });
        if (v.failed_concurrencies.length) notes.appendChild(el("li", "failed on the candidate only at concurrency " + v.failed_concurrencies.join(", ")));
        cmd.textContent = v.command;
      });
    }
    pick.c.addEventListener("change", function () {
      state = { c: pick.c.value, b: "", n: "" };
      show();
    });
    pick.b.addEventListener("change", function () {
      state.b = pick.b.value;
      show();
    });
    pick.n.addEventListener("change", function () {
      state.n = pick.n.value;
      show();
    });
    find.addEventListener("input", function () {
      fill(pick.c, configs(), state.c);
    });
    document.getElementById("swap").addEventListener("click", function () {
      var b = state.b;
      state.b = state.n;
      state.n = b;
      show();
    });
    document.getElementById("copy-link").addEventListener("click", function () {
      if (navigator.clipboard) navigator.clipboard.writeText(location.href).catch(function () {});
      status.textContent = "Link: " + location.href;
    });
    window.addEventListener("hashchange", function () {
      var g = params(location.hash);
      if (g.c !== state.c || g.b !== state.b || g.n !== state.n) {
        state = { c: g.c || state.c, b: g.b || "", n: g.n || "" };
        show();
      }
    });
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireDownloads();
    var page = document.body.getAttribute("data-page");
    if (page === "overview") overview();
    if (page === "config") configPage();
    if (page === "compare") comparePage();
  });
})();
