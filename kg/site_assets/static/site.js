/* The explorer's scripts: search, the map and charts, the filters and the matrix.
   Data comes from files loaded with <script src> (file:// allows it; fetch it does not). */
(function () {
  "use strict";
  var body = document.body;
  var root = body.getAttribute("data-root") || "";

  // -- search: character bigrams over names and aliases, Traditional folded to Simplified --
  var index = null;
  var waiting = [];
  function loadIndex(then) {
    if (index) { then(); return; }
    waiting.push(then);
    if (waiting.length > 1) return;
    var s = document.createElement("script");
    s.src = root + "data/search.js";
    s.onload = function () {
      index = window.LGKG_SEARCH;
      var b = index.b;
      Object.keys(b).forEach(function (k) {
        var ids = b[k];
        for (var i = 1; i < ids.length; i++) ids[i] += ids[i - 1];
      });
      waiting.splice(0).forEach(function (f) { f(); });
    };
    document.head.appendChild(s);
  }
  function fold(text) {
    var t = index.t, out = "";
    for (var i = 0; i < text.length; i++) { var c = text[i]; out += t[c] || c; }
    return out.toLowerCase().replace(/\s+/g, "");
  }
  function search(query, most) {
    var q = fold(query);
    if (!q) return [];
    var rows = index.e, hits = [];
    var candidates = null;
    if (q.length >= 2) {
      var lists = [];
      for (var i = 0; i < q.length - 1; i++) {
        var ids = index.b[q.substr(i, 2)];
        if (!ids) return [];
        lists.push(ids);
      }
      lists.sort(function (a, b) { return a.length - b.length; });
      candidates = lists[0];
      for (var k = 1; k < lists.length && candidates.length; k++) {
        var set = new Set(lists[k]);
        candidates = candidates.filter(function (id) { return set.has(id); });
      }
    } else {
      candidates = rows.map(function (_, i) { return i; });
    }
    candidates.forEach(function (id) {
      var text = rows[id][3], at = text.indexOf(q);
      if (at < 0) return;
      var name = text.split("|")[0];
      var rank = name === q ? 0 : name.indexOf(q) === 0 ? 1 : at < name.length ? 2 : 3;
      hits.push([rank, rows[id][0].length, id]);
    });
    hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]; });
    return hits.slice(0, most).map(function (h) { return rows[h[2]]; });
  }
  window.lgkgSearch = function (query, most) { return search(query, most || 20); };
  var kinds = { district: "区县", programme: "项目", honour: "荣誉", agency: "机构" };
  var form = document.querySelector("form.search");
  if (form) {
    var input = form.querySelector("input"), list = form.querySelector(".results");
    var show = function () {
      var query = input.value.trim();
      list.textContent = "";
      if (!query) return;
      var found = search(query, 20);
      if (!found.length) {
        var none = document.createElement("li");
        none.textContent = "没有找到“" + query + "”";
        list.appendChild(none);
      }
      found.forEach(function (row) {
        var li = document.createElement("li"), a = document.createElement("a"), k = document.createElement("span");
        a.href = root + row[2];
        a.textContent = row[0];
        k.className = "kind";
        k.textContent = kinds[row[1]] || row[1];
        li.appendChild(a);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(k);
        list.appendChild(li);
      });
    };
    input.addEventListener("focus", function () { loadIndex(function () {}); });
    input.addEventListener("input", function () { loadIndex(show); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      loadIndex(function () {
        show();
        var first = list.querySelector("a");
        if (first) window.location.href = first.href;
      });
    });
  }

  // -- the county map --
  var geo = null;
  function counties() {
    if (geo) return geo;
    var m = window.LGKG_MAP, features = [];
    m.codes.forEach(function (code, i) {
      var polygons = m.shapes[i].map(function (polygon) {
        return polygon.map(function (ring) {
          var pts = [], x = 0, y = 0;
          for (var k = 0; k < ring.length; k += 2) {
            x += ring[k]; y += ring[k + 1];
            pts.push([x / m.grid, y / m.grid]);
          }
          return pts;
        });
      });
      features.push({ type: "Feature", properties: { name: code },
                      geometry: { type: "MultiPolygon", coordinates: polygons } });
    });
    geo = { type: "FeatureCollection", features: features };
    echarts.registerMap("counties", geo);
    return geo;
  }
  function drawMap(element, values, options) {
    counties();
    var m = window.LGKG_MAP;
    var nameOf = {};
    m.codes.forEach(function (c, i) { nameOf[c] = m.names[i]; });
    var chart = echarts.init(element, null, { renderer: "canvas" });
    var hrefs = {};
    values.forEach(function (v) { hrefs[v.name] = v.href; });
    chart.setOption({
      animation: false,
      graphic: [{ type: "text", right: 8, bottom: 4, style: { text: m.source, fill: "#555", fontSize: 11 } }],
      tooltip: { trigger: "item", formatter: function (p) {
        var label = (p.data && p.data.label) || nameOf[p.name] || p.name;
        var value = p.data ? options.describe(p.data.value) : "无报告";
        return echarts.format.encodeHTML(label + "：" + value);
      } },
      visualMap: { type: "continuous", min: options.min, max: options.max, calculable: true, left: 8, bottom: 24,
                   text: options.text, inRange: { color: options.colors }, precision: 0 },
      series: [{ type: "map", map: "counties", roam: true, data: values, selectedMode: false,
                 itemStyle: { areaColor: "#e4e4e4", borderColor: "#ffffff", borderWidth: 0.2 },
                 emphasis: { label: { show: false }, itemStyle: { areaColor: "#f4b400" } } }]
    });
    chart.on("click", function (p) { if (hrefs[p.name]) window.location.href = root + hrefs[p.name]; });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  var page = body.getAttribute("data-page");
  if (page === "home" && window.echarts && window.LGKG_HOME) {
    var values = window.LGKG_HOME.values.map(function (v) { return { name: v[0], value: v[1], label: v[2], href: v[3] }; });
    var most = values.reduce(function (a, v) { return Math.max(a, v.value); }, 1);
    drawMap(document.getElementById("map"), values, {
      min: 0, max: most, text: ["项目多", "少"], colors: ["#d6ecf5", "#2b8cbe", "#08306b"],
      describe: function (n) { return n + " 个项目"; } });
  }

  if (page === "programme") {
    var data = JSON.parse(document.getElementById("page-data").textContent);
    var years = data.adopters.map(function (a) { return a[1]; });
    var first = Math.min.apply(null, years), last = Math.max.apply(null, years);
    if (window.echarts && years.length) {
      var count = {}, cumulative = [], total = 0, axis = [];
      years.forEach(function (y) { count[y] = (count[y] || 0) + 1; });
      for (var y = first; y <= last; y++) { total += count[y] || 0; axis.push(String(y)); cumulative.push(total); }
      echarts.init(document.getElementById("curve")).setOption({
        animation: false, tooltip: { trigger: "axis" }, grid: { left: 40, right: 16, top: 16, bottom: 28 },
        xAxis: { type: "category", data: axis }, yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "line", name: "累计区县", data: cumulative, step: "end" }] });
      var slider = document.getElementById("year"), shown = document.getElementById("year-shown");
      slider.min = first; slider.max = last; slider.value = last;
      var chart = null;
      var upto = function () {
        var until = Number(slider.value);
        shown.textContent = String(until);
        var vals = data.adopters.filter(function (a) { return a[1] <= until; }).map(function (a) {
          return { name: a[0], value: a[1], label: data.names[a[0]], href: data.hrefs[a[0]] };
        });
        var opts = { min: first, max: Math.max(last, first + 1), text: [String(last), String(first)],
                     colors: ["#fde0c5", "#e6550d", "#7f2704"], describe: function (v) { return v + " 年首次开展"; } };
        if (chart) {
          chart.setOption({ series: [{ data: vals }] });
        } else {
          chart = drawMap(document.getElementById("map"), vals, opts);
        }
      };
      slider.addEventListener("input", upto);
      upto();
    } else {
      document.getElementById("year").disabled = true;
    }
  }

  // -- filters: a <select data-filter="rows"> keeps the rows whose data-province matches --
  Array.prototype.forEach.call(document.querySelectorAll("select[data-filter]"), function (select) {
    var status = document.getElementById("shown");
    var apply = function () {
      var rows = document.querySelectorAll(select.getAttribute("data-filter")), n = 0;
      Array.prototype.forEach.call(rows, function (row) {
        var keep = !select.value || row.getAttribute("data-province") === select.value;
        row.hidden = !keep;
        n += keep ? 1 : 0;
      });
      if (status) status.textContent = "显示 " + n + " / " + rows.length + " 条";
    };
    select.addEventListener("change", apply);
    apply();
  });

  // -- the matrix of shared programmes: filtered, sorted and drawn a page of rows at a time --
  if (page === "matrix" && window.LGKG_MATRIX) {
    var M = window.LGKG_MATRIX;
    var table = document.getElementById("matrix"), status2 = document.getElementById("m-status");
    var prov = document.getElementById("m-province"), sort = document.getElementById("m-sort");
    var cols = document.getElementById("m-columns"), filter = document.getElementById("m-filter");
    var more = document.getElementById("m-more");
    var provinces = Array.from(new Set(M.d.map(function (d) { return d[2]; }))).sort();
    provinces.forEach(function (p) { var o = document.createElement("option"); o.textContent = p; prov.appendChild(o); });
    var limit = 200;
    var cell = function (tag, text) { var c = document.createElement(tag); c.textContent = text; return c; };
    var draw = function () {
      var ncols = Number(cols.value) || M.p.length;
      var needle = filter.value.trim();
      var rows = M.d.filter(function (d) {
        return (!prov.value || d[2] === prov.value) && (!needle || d[0].indexOf(needle) >= 0);
      });
      var key = sort.value;
      rows.sort(function (a, b) {
        if (key === "name") return a[0].localeCompare(b[0], "zh-Hans-CN");
        if (key === "code") return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
        return b[3] - a[3] || a[0].localeCompare(b[0], "zh-Hans-CN");
      });
      table.textContent = "";
      var head = document.createElement("thead"), tr = document.createElement("tr");
      tr.appendChild(cell("th", "区县"));
      M.p.slice(0, ncols).forEach(function (p) {
        var th = document.createElement("th"), a = document.createElement("a");
        th.scope = "col";
        a.href = root + p[1];
        a.textContent = p[0];
        a.title = p[0] + "：" + p[2] + " 个区县";
        th.appendChild(a);
        tr.appendChild(th);
      });
      head.appendChild(tr);
      table.appendChild(head);
      var tbody = document.createElement("tbody");
      rows.slice(0, limit).forEach(function (d) {
        var row = document.createElement("tr"), th = document.createElement("th"), a = document.createElement("a");
        th.scope = "row";
        a.href = root + d[1];
        a.textContent = d[0];
        th.appendChild(a);
        row.appendChild(th);
        var by = {};
        d[4].forEach(function (c) { by[c[0]] = c[1]; });
        for (var i = 0; i < ncols; i++) {
          var td = document.createElement("td");
          if (i in by) {
            td.textContent = by[i] ? String(by[i]).slice(2) : "✓";
            td.className = "on";
            td.title = d[0] + " · " + M.p[i][0] + (by[i] ? "：" + by[i] + " 年首次开展" : "");
          }
          row.appendChild(td);
        }
        tbody.appendChild(row);
      });
      table.appendChild(tbody);
      status2.textContent = "显示 " + Math.min(limit, rows.length) + " / " + rows.length + " 个区县，" +
        Math.min(ncols, M.p.length) + " / " + M.p.length + " 个项目";
      more.hidden = rows.length <= limit;
    };
    [prov, sort, cols].forEach(function (el) { el.addEventListener("change", function () { limit = 200; draw(); }); });
    filter.addEventListener("input", function () { limit = 200; draw(); });
    document.getElementById("matrix-controls").addEventListener("submit", function (e) { e.preventDefault(); });
    more.addEventListener("click", function () { limit += 500; draw(); });
    draw();
  }
})();
