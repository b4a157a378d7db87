/* dreamgraph view: draws the library on vis-network's canvas and lets a reader explore it.

   The library is drawn in batches (a path per colour, one for all the links); a selection, a path or a
   filter changes no data: what is lit is drawn again over a veil that dims the rest, so a selection
   costs one drawing at ten dreams and at ten thousand. Every text from the articles is set with textContent, never parsed as
   HTML, and drawn on the canvas as text. The page's state lives in its address
   (#dream=…&depth=…&cluster=…&from=…&to=…&filter=…), so a link reopens the same view and the back
   button steps back through selections. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dreamgraph-data").textContent);
  var D = data.dreams, N = D.slug.length, C = data.clusters, BS = data.blockSize;
  var dark = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
  var theme = dark ? {
    bg: "#11161d", text: "#e6edf3", muted: "#9aa5b1", edge: "#6b7785", stub: "#9aa5b1", partial: "#e6edf3",
    select: "#f8fafc", path: "#c4b5fd", veil: "rgba(17,22,29,0.84)", halo: "#11161d"
  } : {
    bg: "#ffffff", text: "#1d2733", muted: "#52606d", edge: "#8a94a3", stub: "#7b8794", partial: "#1d2733",
    select: "#111827", path: "#7c3aed", veil: "rgba(255,255,255,0.84)", halo: "#ffffff"
  };

  // --- the library as arrays -------------------------------------------------------------------------
  var bySlug = {}, clusterBySlug = {}, out = [], inc = [], edgeFrom = [], edgeTo = [], edgeIndex = {};
  var i, k;
  for (i = 0; i < N; i++) { bySlug[D.slug[i]] = i; out.push([]); inc.push([]); }
  for (i = 0; i < C.length; i++) clusterBySlug[C[i].slug] = i;
  var clusterOrder = C.map(function (c, n) { return n; }).sort(function (x, y) {
    return C[y].members.length - C[x].members.length || (C[x].slug < C[y].slug ? -1 : 1); });
  for (k = 0; k < data.edges.length; k += 2) {
    var a = data.edges[k], b = data.edges[k + 1], e = k / 2;
    edgeFrom.push(a); edgeTo.push(b); out[a].push(b); inc[b].push(a); edgeIndex[a + ">" + b] = e;
  }
  for (i = 0; i < N; i++) { out[i].sort(bySlugOrder); inc[i].sort(bySlugOrder); }
  function bySlugOrder(x, y) { return D.slug[x] < D.slug[y] ? -1 : D.slug[x] > D.slug[y] ? 1 : 0; }
  var maxRank = D.rank.reduce(function (m, r) { return r > m ? r : m; }, 1e-9);  // not Math.max(...): 100,000 arguments
  var size = [], color = [];
  for (i = 0; i < N; i++) {
    size.push(data.spacing * (0.07 + 0.16 * Math.sqrt(D.rank[i] / maxRank)));
    color.push(D.home[i] >= 0 && !D.stub[i] ? C[D.home[i]].color : data.noClusterColor);
  }
  var gapsOf = {};  // "d12" or "c3" -> [gap index]
  data.gaps.forEach(function (gap, n) {
    var key = (gap.on === "cluster" ? "c" : "d") + gap.node;
    (gapsOf[key] = gapsOf[key] || []).push(n);
  });

  // --- drawing ------------------------------------------------------------------------------------------
  // vis-network holds the canvas: pan, zoom, resizing, the click and the drawing hooks. The page draws the
  // library itself, in batches (one path per colour, one for all links), because a canvas call per node
  // and per arrowhead is what made a 10,000-dream picture slow.
  var container = document.getElementById("graph");
  var network = new vis.Network(container, { nodes: new vis.DataSet([]), edges: new vis.DataSet([]) }, {
    autoResize: true, physics: { enabled: false },
    interaction: { hover: false, dragNodes: false, selectable: false, keyboard: false, multiselect: false, zoomSpeed: 0.8 }
  });
  var bounds = (function () {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    function grow(x, y, r) { box[0] = Math.min(box[0], x - r); box[1] = Math.min(box[1], y - r); box[2] = Math.max(box[2], x + r); box[3] = Math.max(box[3], y + r); }
    for (var n = 0; n < N; n++) grow(D.x[n], D.y[n], size[n] + 30);
    C.forEach(function (c) { if (c.r) grow(c.x, c.y - 22, c.r + 22); });
    data.satellites.forEach(function (s) { grow(s.x, s.y, 60); });
    if (!isFinite(box[0])) box = [-100, -100, 100, 100];
    return box;
  })();
  var maxSize = size.reduce(function (m, s) { return s > m ? s : m; }, 10);
  var order = [];  // most central first: the order names are placed in, each only where it overlaps none
  for (i = 0; i < N; i++) order.push(i);
  order.sort(function (x, y) { return D.rank[y] - D.rank[x] || bySlugOrder(x, y); });
  // nodes in batches of one look: fill, border and dashes
  var looks = {}, lookKeys = [];
  for (i = 0; i < N; i++) {
    var look = D.stub[i] ? ["bg", "stub", "dash"] : D.partial[i] ? [color[i], "partial", "dot"] : [color[i], color[i], ""];
    var key = look.join("|");
    if (!looks[key]) { looks[key] = { fill: look[0], border: look[1], dash: look[2], nodes: [] }; lookKeys.push(key); }
    looks[key].nodes.push(i);
  }
  function paint(value) { return value === "bg" ? theme.bg : value === "stub" ? theme.stub : value === "partial" ? theme.partial : value; }
  var grid = {}, cell = Math.max(2 * maxSize, 40);  // the dreams by place, to find the one under the pointer
  for (i = 0; i < N; i++) {
    var g = Math.floor(D.x[i] / cell) + "," + Math.floor(D.y[i] / cell);
    (grid[g] = grid[g] || []).push(i);
  }
  function dreamAt(x, y, slack) {
    var best = -1, bestGap = Infinity, gx = Math.floor(x / cell), gy = Math.floor(y / cell);
    for (var dx = -1; dx <= 1; dx++) for (var dy = -1; dy <= 1; dy++) {
      (grid[(gx + dx) + "," + (gy + dy)] || []).forEach(function (n) {
        var gap = Math.sqrt((D.x[n] - x) * (D.x[n] - x) + (D.y[n] - y) * (D.y[n] - y)) - size[n];
        if (gap <= slack && gap < bestGap) { best = n; bestGap = gap; }
      });
    }
    return best;
  }
  function satelliteAt(x, y, slack) {
    for (var s = 0; s < data.satellites.length; s++) {
      var sat = data.satellites[s];
      if (Math.abs(sat.x - x) <= 9 + slack && Math.abs(sat.y - y) <= 9 + slack) return s;
    }
    return -1;
  }

  function redraw() {  // one drawing per frame, however many changes asked for one (vis-network's own request)
    if (network.body && network.body.emitter) network.body.emitter.emit("_requestRedraw");
    else network.redraw();
  }

  function text(ctx, label, x, y, px, bold, fill) {
    ctx.font = (bold ? "600 " : "") + px + "px system-ui, sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "middle"; ctx.lineJoin = "round";
    ctx.lineWidth = px / 3.5; ctx.strokeStyle = theme.halo; ctx.strokeText(label, x, y);
    ctx.fillStyle = fill || theme.text; ctx.fillText(label, x, y);
  }
  function short(label, n) { return label.length > n ? label.slice(0, n - 1) + "…" : label; }
  function shade(hex) {  // a darker (light scheme) or lighter (dark scheme) tone of a cluster colour, for its name
    var n = parseInt(hex.slice(1), 16), f = dark ? 1.35 : 0.62;
    var r = Math.min(255, Math.round((n >> 16) * f)), g = Math.min(255, Math.round(((n >> 8) & 255) * f)), b = Math.min(255, Math.round((n & 255) * f));
    return "rgb(" + r + "," + g + "," + b + ")";
  }
  function visibleArea() {
    var a = network.DOMtoCanvas({ x: 0, y: 0 }), b = network.DOMtoCanvas({ x: container.clientWidth, y: container.clientHeight });
    return [a.x, a.y, b.x, b.y];
  }
  function inView(view, n, margin) {
    return D.x[n] >= view[0] - margin && D.x[n] <= view[2] + margin && D.y[n] >= view[1] - margin && D.y[n] <= view[3] + margin;
  }

  function drawNodes(ctx, scale, view, mask) {  // mask: draw only these (lit) dreams, or all when null
    var margin = maxSize;
    lookKeys.forEach(function (key) {
      var look = looks[key], any = false;
      ctx.beginPath();
      look.nodes.forEach(function (n) {
        if ((mask && !mask[n]) || !inView(view, n, margin)) return;
        ctx.moveTo(D.x[n] + size[n], D.y[n]); ctx.arc(D.x[n], D.y[n], size[n], 0, 2 * Math.PI); any = true;
      });
      if (!any) return;
      ctx.fillStyle = paint(look.fill); ctx.fill();
      if (look.dash || scale * maxSize > 3) {
        ctx.setLineDash(look.dash === "dash" ? [5 / scale, 4 / scale] : look.dash === "dot" ? [2 / scale, 3 / scale] : []);
        ctx.lineWidth = (look.dash ? 2 : 1) / scale; ctx.strokeStyle = look.dash ? paint(look.border) : shade(look.fill);
        ctx.stroke(); ctx.setLineDash([]);
      }
    });
  }

  function segment(e, scale, apart) {  // a link from rim to rim, set apart from its opposite link when asked
    var a = edgeFrom[e], b = edgeTo[e], dx = D.x[b] - D.x[a], dy = D.y[b] - D.y[a], len = Math.sqrt(dx * dx + dy * dy) || 1;
    var ux = dx / len, uy = dy / len, shift = apart && edgeIndex[b + ">" + a] !== undefined ? 5 / scale : 0;
    return { ux: ux, uy: uy, sx: D.x[a] + ux * size[a] - uy * shift, sy: D.y[a] + uy * size[a] + ux * shift,
             ex: D.x[b] - ux * (size[b] + 2 / scale) - uy * shift, ey: D.y[b] - uy * (size[b] + 2 / scale) + ux * shift };
  }
  function drawLinks(ctx, scale, view, list, width, stroke, alpha, apart) {  // apart: a lit link, always with its head
    var heads = apart || scale * 9 >= 5, head = 8 / scale + width, ends = [];
    ctx.beginPath();
    list.forEach(function (e) {
      var a = edgeFrom[e], b = edgeTo[e];
      if ((D.x[a] < view[0] && D.x[b] < view[0]) || (D.x[a] > view[2] && D.x[b] > view[2]) ||
          (D.y[a] < view[1] && D.y[b] < view[1]) || (D.y[a] > view[3] && D.y[b] > view[3])) return;
      var p = segment(e, scale, apart);
      ctx.moveTo(p.sx, p.sy); ctx.lineTo(heads ? p.ex - p.ux * head * 0.8 : p.ex, heads ? p.ey - p.uy * head * 0.8 : p.ey);
      if (heads) ends.push(p);
    });
    ctx.globalAlpha = alpha; ctx.strokeStyle = stroke; ctx.lineWidth = width; ctx.stroke();
    if (ends.length) {
      ctx.beginPath();
      ends.forEach(function (p) {
        ctx.moveTo(p.ex, p.ey);
        ctx.lineTo(p.ex - p.ux * head - p.uy * head * 0.45, p.ey - p.uy * head + p.ux * head * 0.45);
        ctx.lineTo(p.ex - p.ux * head + p.uy * head * 0.45, p.ey - p.uy * head - p.ux * head * 0.45); ctx.closePath();
      });
      ctx.fillStyle = stroke; ctx.fill();
    }
    ctx.globalAlpha = 1;
  }
  var allEdges = edgeFrom.map(function (x, e) { return e; });
  var edgeAlpha = N > 2000 ? 0.22 : N > 300 ? 0.4 : 0.65;

  function drawSatellites(ctx, scale, mask) {  // mask: only those of lit dreams
    data.satellites.forEach(function (s) {
      if (mask && !mask[s.parent]) return;
      ctx.setLineDash([4 / scale, 3 / scale]); ctx.beginPath(); ctx.moveTo(D.x[s.parent], D.y[s.parent]); ctx.lineTo(s.x, s.y);
      ctx.lineWidth = 1 / scale; ctx.strokeStyle = theme.muted; ctx.stroke(); ctx.setLineDash([]);
      ctx.beginPath();
      if (s.kind === "scenario") ctx.rect(s.x - 7, s.y - 7, 14, 14);
      else { ctx.moveTo(s.x, s.y - 8); ctx.lineTo(s.x + 8, s.y + 6); ctx.lineTo(s.x - 8, s.y + 6); ctx.closePath(); }
      ctx.fillStyle = theme.bg; ctx.fill(); ctx.lineWidth = 1.5 / scale; ctx.stroke();
      text(ctx, short(s.label, 40), s.x, s.y + 18, Math.max(11 / scale, 9), false, theme.muted);
    });
  }

  function Boxes(scale) { this.cell = 80 / scale; this.grid = {}; }
  Boxes.prototype.hits = function (box, add) {
    var x0 = Math.floor(box[0] / this.cell), x1 = Math.floor(box[2] / this.cell);
    var y0 = Math.floor(box[1] / this.cell), y1 = Math.floor(box[3] / this.cell);
    for (var x = x0; x <= x1; x++) for (var y = y0; y <= y1; y++) {
      var key = x + "," + y, here = this.grid[key];
      if (add) { (this.grid[key] = here || []).push(box); continue; }
      if (here) for (var n = 0; n < here.length; n++) {
        var o = here[n];
        if (box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1]) return true;
      }
    }
    return false;
  };
  function labelBox(n, px) {
    var width = D.label[n].length * px * 0.56 + px * 0.6, top = D.y[n] + size[n] + px * 0.25;
    return [D.x[n] - width / 2, top, D.x[n] + width / 2, top + px * 1.25];
  }
  function drawLabels(ctx, scale, view, candidates, boxes, forced, limit) {
    var px = 13 / scale, placed = 0;
    for (var c = 0; c < candidates.length && placed < limit; c++) {
      var n = candidates[c];
      if (!inView(view, n, 0)) continue;
      if (!forced(n) && size[n] * scale < 2.5) continue;  // a dot too small to see gets no name
      var box = labelBox(n, px);
      if (!forced(n) && boxes.hits(box, false)) continue;
      boxes.hits(box, true);
      text(ctx, D.label[n], D.x[n], (box[1] + box[3]) / 2, px, n === state.dream);
      placed++;
    }
  }

  function marks(ctx, list, x, y, scale, radius) {  // one badge per gap kind, its letter inside when big enough to read
    var seen = {}, r = Math.min(7 / scale, Math.max(radius * 0.55, 3.5 / scale)), n = 0;
    list.forEach(function (g) {
      var kind = data.gaps[g].kind;
      if (seen[kind] || (lit && filterKinds.length && !lit.gapKinds[kind])) return;
      seen[kind] = true;
      var mark = data.gapMarks[kind], cx = x + n * r * 1.9;
      n++;
      ctx.beginPath(); ctx.arc(cx, y, r, 0, 2 * Math.PI); ctx.fillStyle = mark[0]; ctx.fill();
      ctx.lineWidth = r / 5; ctx.strokeStyle = theme.halo; ctx.stroke();
      if (r * scale >= 5.5) {
        ctx.font = "700 " + (r * 1.2) + "px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.fillStyle = "#ffffff"; ctx.fillText(mark[1], cx, y + r * 0.05);
      }
    });
  }

  network.on("afterDrawing", function (ctx) {
    var scale = network.getScale(), view = visibleArea(), boxes = new Boxes(scale);
    C.forEach(function (c) {  // cluster regions
      if (!c.r || c.x + c.r < view[0] || c.x - c.r > view[2] || c.y + c.r < view[1] || c.y - c.r > view[3]) return;
      ctx.beginPath(); ctx.arc(c.x, c.y, c.r, 0, 2 * Math.PI);
      ctx.globalAlpha = dark ? 0.16 : 0.11; ctx.fillStyle = c.color; ctx.fill();
      ctx.globalAlpha = 0.55; ctx.lineWidth = 1.5 / scale; ctx.strokeStyle = c.color; ctx.stroke();
      ctx.globalAlpha = 1;
    });
    drawLinks(ctx, scale, view, allEdges, 1 / scale, theme.edge, edgeAlpha, false);
    drawNodes(ctx, scale, view, null);
    drawSatellites(ctx, scale, null);
    clusterOrder.forEach(function (n) {  // cluster names, largest first, where they do not overlap
      var c = C[n];
      if (!c.r || c.r * scale < 12) return;
      var px = Math.min(14, Math.max(9, c.r * scale / 5)), room = Math.floor(2.6 * c.r * scale / (px * 0.6));
      var label = short(c.label, Math.max(16, room - 5)) + " · " + c.members.length;
      px /= scale;
      var y = c.y - c.r - px * 0.8, width = label.length * px * 0.6, box = [c.x - width / 2, y - px * 0.7, c.x + width / 2, y + px * 0.7];
      if (y < view[1] - px || y > view[3] + px) return;
      if (gapsOf["c" + n]) marks(ctx, gapsOf["c" + n], c.x + c.r * 0.71, c.y - c.r * 0.71, scale, c.r);
      if (boxes.hits(box, false)) return;
      boxes.hits(box, true);
      text(ctx, label, c.x, y, px, true, shade(c.color));
    });
    if (!lit) drawLabels(ctx, scale, view, order, boxes, function () { return false; }, 300);
    if (data.gaps.length) {
      for (var key in gapsOf) if (key[0] === "d" && (!lit || lit.node[+key.slice(1)])) {
        var d = +key.slice(1);
        if (inView(view, d, maxSize)) marks(ctx, gapsOf[key], D.x[d] + size[d] * 0.8, D.y[d] - size[d] * 0.8, scale, size[d]);
      }
    }
    if (lit) drawLit(ctx, scale, view);
    if (!drawn) { drawn = true; document.body.setAttribute("data-drawn", "true"); performance.mark("dreamgraph-drawn"); }
  });
  var drawn = false;

  function drawLit(ctx, scale, view) {
    ctx.fillStyle = theme.veil;
    ctx.fillRect(view[0], view[1], view[2] - view[0], view[3] - view[1]);
    var onPath = [], touching = [], others = [];
    lit.edges.forEach(function (e) {
      if (lit.pathEdges && lit.pathEdges[e] !== undefined) onPath.push(e);
      else if (edgeFrom[e] === state.dream || edgeTo[e] === state.dream) touching.push(e);
      else others.push(e);
    });
    drawLinks(ctx, scale, view, others, 1 / scale, lit.mode === "path" ? theme.text : theme.edge, lit.mode === "filter" ? 0.6 : 0.9, true);
    drawLinks(ctx, scale, view, touching, 1.8 / scale, theme.text, 1, true);
    drawLinks(ctx, scale, view, onPath, 4 / scale, theme.path, 1, true);
    drawNodes(ctx, scale, view, lit.node);
    drawSatellites(ctx, scale, lit.node);
    lit.list.forEach(function (n) {  // rings: the selected dream, and the dreams of a path
      if (n !== state.dream && n !== state.from && n !== state.to && !(lit.pathNodes && lit.pathNodes[n])) return;
      ctx.beginPath(); ctx.arc(D.x[n], D.y[n], size[n] + 4 / scale, 0, 2 * Math.PI);
      ctx.lineWidth = (n === state.dream ? 3.5 : 2.5) / scale;
      ctx.strokeStyle = lit.pathNodes && lit.pathNodes[n] ? theme.path : theme.select; ctx.stroke();
    });
    var ranked = lit.list.slice().sort(function (x, y) { return D.rank[y] - D.rank[x] || bySlugOrder(x, y); });
    var must = function (n) { return n === state.dream || n === state.from || n === state.to || !!(lit.pathNodes && lit.pathNodes[n]); };
    var boxes = new Boxes(scale);
    drawLabels(ctx, scale, view, ranked, boxes, must, 400);
    if (lit.mode === "path") {  // the steps of a path, numbered on its links
      lit.steps.forEach(function (e, n) {
        var p = segment(e, scale, true), x = (p.sx + p.ex) / 2, y = (p.sy + p.ey) / 2;
        ctx.beginPath(); ctx.arc(x, y, 10 / scale, 0, 2 * Math.PI); ctx.fillStyle = theme.path; ctx.fill();
        ctx.font = "700 " + (11 / scale) + "px system-ui, sans-serif"; ctx.textAlign = "center"; ctx.textBaseline = "middle";
        ctx.fillStyle = theme.bg; ctx.fillText(String(n + 1), x, y);
      });
    } else if (lit.mode === "focus") {  // the conditions of the selected dream's links, where there is room
      touching.forEach(function (e) {
        var condition = conditionOf(edgeFrom[e], edgeTo[e]);
        if (!condition) return;
        var p = segment(e, scale, true), px = 11 / scale, label = short(condition, 44), width = label.length * px * 0.55;
        [0.5, 0.35, 0.65].some(function (f) {
          var x = p.sx + (p.ex - p.sx) * f, y = p.sy + (p.ey - p.sy) * f;
          var box = [x - width / 2, y - px * 0.7, x + width / 2, y + px * 0.7];
          if (boxes.hits(box, false)) return false;
          boxes.hits(box, true);
          text(ctx, label, x, y, px, false, theme.muted);
          return true;
        });
      });
    }
  }

  // a tooltip with the name under the pointer
  var tip = document.createElement("div");
  tip.id = "tip"; tip.setAttribute("role", "tooltip"); tip.hidden = true;
  document.getElementById("graph-wrap").appendChild(tip);
  var tipFrame = 0;
  container.addEventListener("mousemove", function (event) {
    if (tipFrame) return;
    tipFrame = requestAnimationFrame(function () {
      tipFrame = 0;
      var box = container.getBoundingClientRect(), p = network.DOMtoCanvas({ x: event.clientX - box.left, y: event.clientY - box.top });
      var n = dreamAt(p.x, p.y, 3 / network.getScale());
      if (n < 0) { tip.hidden = true; container.style.cursor = ""; return; }
      tip.textContent = D.label[n] + (D.stub[n] ? " · stub, no article yet" : D.partial[n] ? " · partial article" : "");
      tip.style.left = (event.clientX - box.left + 12) + "px"; tip.style.top = (event.clientY - box.top + 12) + "px";
      tip.hidden = false; container.style.cursor = "pointer";
    });
  });
  container.addEventListener("mouseleave", function () { tip.hidden = true; });

  // --- cards, unpacked on demand ----------------------------------------------------------------------------
  var blocks = {};
  function inflate(b64) {
    var binary = atob(b64), bytes = new Uint8Array(binary.length);
    for (var n = 0; n < binary.length; n++) bytes[n] = binary.charCodeAt(n);
    if (typeof DecompressionStream === "undefined") return Promise.reject(new Error("no DecompressionStream"));
    return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"))).text();
  }
  function block(n) {
    if (!blocks[n]) blocks[n] = inflate(data.cards[n]).then(function (t) { blocks[n].value = JSON.parse(t); return blocks[n].value; });
    return blocks[n];
  }
  function card(n) { return block(Math.floor(n / BS)).then(function (list) { return list[n % BS]; }); }
  function cardNow(n) { var found = blocks[Math.floor(n / BS)]; return found && found.value ? found.value[n % BS] : null; }
  function conditionOf(a, b) {  // from the card of either end: a's next stages, or the links that lead to b
    var source = cardNow(a), target = cardNow(b), n;
    if (source) for (n = 0; n < source[4].length; n++) if (source[4][n][0] === b) return source[4][n][2];
    if (target) for (n = 0; n < target[5].length; n++) if (target[5][n][0] === a) return target[5][n][2];
    return null;
  }
  function withCards(list) { return Promise.all(list.map(card)); }

  // --- what is lit ----------------------------------------------------------------------------------
  var state = { dream: -1, depth: 1, cluster: -1, from: -1, to: -1 };
  var filterKinds = [];
  var lit = null;

  function neighbourhood(start, depth) {
    var seen = {}, frontier = [start], list = [start];
    seen[start] = true;
    for (var d = 0; d < depth; d++) {
      var next = [];
      frontier.forEach(function (n) {
        out[n].concat(inc[n]).forEach(function (m) { if (!seen[m]) { seen[m] = true; next.push(m); list.push(m); } });
      });
      frontier = next;
    }
    return list;
  }

  function shortestPath(a, b) {  // the rule of `dreamgraph path`: shortest, then alphabetically first
    var distance = {}, queue = [b], head = 0;
    distance[b] = 0;
    while (head < queue.length) {
      var n = queue[head++];
      inc[n].forEach(function (m) { if (distance[m] === undefined) { distance[m] = distance[n] + 1; queue.push(m); } });
    }
    if (distance[a] === undefined) return null;
    var path = [a];
    while (path[path.length - 1] !== b) {
      var last = path[path.length - 1];
      path.push(out[last].filter(function (m) { return distance[m] === distance[last] - 1; })[0]);
    }
    return path;
  }

  function clusterSet(c) {  // a cluster's dreams and the stubs they link to
    var set = {};
    C[c].members.forEach(function (m) { set[m] = true; out[m].forEach(function (t) { if (D.stub[t]) set[t] = true; }); });
    return set;
  }

  function matchesKind(n) {
    for (var f = 0; f < filterKinds.length; f++) {
      var kind = filterKinds[f];
      if (kind === "written" && !D.stub[n]) return true;
      if (kind === "stub" && D.stub[n]) return true;
      if (kind === "partial" && D.partial[n]) return true;
      if ((gapsOf["d" + n] || []).some(function (g) { return data.gaps[g].kind === kind; })) return true;
    }
    return false;
  }

  function light(list, mode, extra) {
    var node = new Uint8Array(N), edgesLit = [];
    list.forEach(function (n) { node[n] = 1; });
    for (var e = 0; e < edgeFrom.length; e++) if (node[edgeFrom[e]] && node[edgeTo[e]]) edgesLit.push(e);
    var result = { mode: mode, list: list, node: node, edges: edgesLit, gapKinds: {} };
    filterKinds.forEach(function (k) { result.gapKinds[k] = true; });
    for (var key in extra) result[key] = extra[key];
    return result;
  }

  function computeLit() {
    if (state.from >= 0 && state.to >= 0) {
      var path = shortestPath(state.from, state.to);
      if (!path) return light([state.from, state.to], "path", { path: null, steps: [], pathNodes: {} });
      var steps = [], pathEdges = {}, pathNodes = {};
      for (var s = 0; s + 1 < path.length; s++) { var e = edgeIndex[path[s] + ">" + path[s + 1]]; steps.push(e); pathEdges[e] = s; }
      path.forEach(function (n) { pathNodes[n] = true; });
      return light(path, "path", { path: path, steps: steps, pathEdges: pathEdges, pathNodes: pathNodes });
    }
    if (state.dream >= 0) return light(neighbourhood(state.dream, state.depth), "focus", {});
    if (state.cluster >= 0 || filterKinds.length) {
      var inCluster = state.cluster >= 0 ? clusterSet(state.cluster) : null, list = [];
      for (var n = 0; n < N; n++) {
        if ((!inCluster || inCluster[n]) && (!filterKinds.length || matchesKind(n))) list.push(n);
      }
      return light(list, "filter", {});
    }
    return null;
  }

  // --- the panel ------------------------------------------------------------------------------------
  var panel = document.getElementById("panel-card");
  function el(tag, content, className) {
    var node = document.createElement(tag);
    if (content !== undefined && content !== null) node.textContent = content;
    if (className) node.className = className;
    return node;
  }
  function dreamLink(n, label) {
    if (n < 0) return el("span", label);
    var button = el("button", label !== undefined ? label : D.label[n], "link");
    button.type = "button";
    button.setAttribute("data-target", D.slug[n]);
    button.addEventListener("click", function () { go({ dream: n, from: -1, to: -1 }); });
    return button;
  }
  function clusterLink(c) {
    var button = el("button", "cluster: " + C[c].label, "badge");
    button.type = "button";
    button.setAttribute("data-cluster", C[c].slug);
    button.addEventListener("click", function () { go({ dream: -1, cluster: c, from: -1, to: -1 }); });
    return button;
  }
  function section(title, items, render) {
    if (!items.length) return null;
    var box = el("section"), list = el("ul");
    box.appendChild(el("h3", title));
    items.forEach(function (item) { var li = el("li"); render(li, item); list.appendChild(li); });
    box.appendChild(list);
    return box;
  }
  function action(label, handler, name) {
    var button = el("button", label);
    button.type = "button"; button.setAttribute("data-action", name);
    button.addEventListener("click", handler);
    return button;
  }
  function gapSection(key) {
    var list = gapsOf[key] || [];
    return section("Gaps", list, function (li, g) {
      var gap = data.gaps[g], mark = data.gapMarks[gap.kind];
      var badge = el("span", mark[1], "mark"); badge.style.background = mark[0]; badge.setAttribute("aria-hidden", "true");
      li.appendChild(badge); li.appendChild(el("strong", " " + gap.kind + ": ")); li.appendChild(el("span", gap.action));
      gap.evidence.forEach(function (ev) {
        li.appendChild(el("span", ev[0] + (ev[1] ? ":" + ev[1] : "") + (ev[2] ? " " + ev[2] : ""), "evidence"));
      });
    });
  }
  function fill(parts, attribute, value) {
    panel.textContent = "";
    ["data-dream", "data-cluster", "data-path"].forEach(function (name) { panel.removeAttribute(name); });
    parts.forEach(function (part) { if (part) panel.appendChild(part); });
    if (attribute) panel.setAttribute(attribute, value);
    if (window.innerWidth <= 800 && attribute) openPanel(true);
  }
  var shown = 0;  // each render gets a number; a late card for an old selection is dropped

  function showDream(n) {
    var ticket = ++shown;
    var head = [el("p", D.stub[n] ? "stub dream" : "dream", "kind-line"), el("h2", D.label[n])];
    return card(n).then(function (c) {
      if (ticket !== shown) return;
      var parts = head.concat([c[0] ? el("p", c[0], "subtitle") : null]);
      var badges = el("div");
      if (D.stub[n]) badges.appendChild(el("span", "stub: no article yet", "badge"));
      if (D.partial[n]) badges.appendChild(el("span", "partial article", "badge"));
      D.clusters[n].forEach(function (cl) { badges.appendChild(clusterLink(cl)); });
      parts.push(badges);
      parts.push(el("p", out[n].length + " next stage" + (out[n].length === 1 ? "" : "s") + " · led to from " + inc[n].length +
                    " · PageRank " + D.rank[n].toFixed(4), "facts"));
      if (c[6] && /^https?:\/\//i.test(c[6])) {  // the page the article was read from: a web address only, opened apart
        var page = el("a", c[6], "page-url");
        page.href = c[6]; page.target = "_blank"; page.rel = "noopener noreferrer";
        var where = el("p", "Page: ", "source"); where.appendChild(page); parts.push(where);
      }
      var actions = el("div", null, "card-actions"), depth = el("label", "Light up ", "depth");
      var slider = el("input"), shownDepth = el("output", String(state.depth));
      slider.type = "range"; slider.min = "1"; slider.max = "3"; slider.step = "1"; slider.value = String(state.depth); slider.id = "depth";
      slider.setAttribute("aria-label", "Links to light up around the dream");
      slider.addEventListener("input", function () { go({ depth: parseInt(slider.value, 10) }); });
      depth.appendChild(slider); depth.appendChild(shownDepth); depth.appendChild(el("span", state.depth === 1 ? " link" : " links"));
      parts.push(depth);
      actions.appendChild(action("Path from here", function () { go({ from: n, dream: -1 }); }, "from"));
      actions.appendChild(action("Path to here", function () { go({ to: n, dream: -1 }); }, "to"));
      parts.push(actions);
      if ((state.from >= 0) !== (state.to >= 0)) {
        var end = state.from >= 0 ? state.from : state.to;
        parts.push(el("p", "A progression " + (state.from >= 0 ? "from " : "to ") + D.label[end] + " is waiting for its other end: “Path " +
                      (state.from >= 0 ? "to" : "from") + " here”, or shift-click a dream.", "hint"));
      }
      if (data.gaps.length) parts.push(gapSection("d" + n));
      parts.push(section("Quick Answer", c[1], function (li, t) { li.textContent = t; }));
      parts.push(section("Scenarios", c[2], function (li, p) { li.appendChild(el("span", p[0])); li.appendChild(el("span", " → " + p[1], "meaning")); }));
      parts.push(section("Sensations", c[3], function (li, p) { li.appendChild(el("span", p[0])); li.appendChild(el("span", " → " + p[1], "meaning")); }));
      parts.push(section("Next stages", c[4], function (li, s) {
        li.appendChild(dreamLink(s[0], s[1])); li.appendChild(el("span", s[2], "condition"));
        if (s[3]) li.appendChild(el("span", s[3], "gloss"));
      }));
      parts.push(section("Led to from", c[5], function (li, s) { li.appendChild(dreamLink(s[0], s[1])); li.appendChild(el("span", s[2], "condition")); }));
      if (D.stub[n] && !c[1].length) parts.push(el("p", "No article yet: the links above are everything the library says about it.", "none"));
      fill(parts, "data-dream", D.slug[n]);
      redraw();
    }, cardFailed);
  }
  function cardFailed(error) {
    fill([el("p", "This browser cannot unpack the dream cards (" + error.message + "): use a current Chrome, Edge, Firefox or Safari.", "none")]);
  }

  function showCluster(c) {
    ++shown;
    var cluster = C[c], written = 0, stubs = 0, linked = 0, set = clusterSet(c);
    cluster.members.forEach(function (m) { if (D.stub[m]) stubs++; else written++; });
    for (var key in set) if (D.stub[key] && D.clusters[key].indexOf(c) < 0) linked++;
    var members = cluster.members.slice().sort(function (x, y) { return D.rank[y] - D.rank[x] || bySlugOrder(x, y); });
    var parts = [el("p", "cluster", "kind-line"), el("h2", cluster.label),
                 el("p", written + " written dream" + (written === 1 ? "" : "s") + (stubs ? ", " + stubs + " stub" + (stubs === 1 ? "" : "s") : "") +
                    " · " + linked + " unwritten dream" + (linked === 1 ? "" : "s") + " linked from it", "facts")];
    var hub = el("p");
    hub.appendChild(el("span", "Hub article: "));
    hub.appendChild(cluster.hub >= 0 ? dreamLink(cluster.hub) : el("span", "none yet", "none"));
    parts.push(hub);
    if (data.gaps.length) parts.push(gapSection("c" + c));
    parts.push(section("Dreams, most central first", members.slice(0, 200), function (li, m) {
      li.appendChild(dreamLink(m)); if (D.stub[m]) li.appendChild(el("span", " (stub)", "meaning"));
    }));
    if (members.length > 200) parts.push(el("p", "and " + (members.length - 200) + " more", "none"));
    fill(parts, "data-cluster", cluster.slug);
  }

  function showPath() {
    var ticket = ++shown, a = state.from, b = state.to;
    if (a < 0 || b < 0) {
      var chosen = a >= 0 ? a : b;
      fill([el("p", "progression", "kind-line"), el("h2", (a >= 0 ? "From " : "To ") + D.label[chosen]),
            el("p", "Now pick the other end: “Path " + (a >= 0 ? "to" : "from") + " here” on another dream's card, or shift-click it.", "hint"),
            el("div", null, "card-actions")], "data-path", "pending");
      panel.querySelector(".card-actions").appendChild(action("Clear path", function () { go({ from: -1, to: -1 }); }, "clear-path"));
      return;
    }
    var path = lit && lit.path;
    var clear = el("div", null, "card-actions");
    clear.appendChild(action("Clear path", function () { go({ from: -1, to: -1 }); }, "clear-path"));
    if (!path) {
      fill([el("p", "progression", "kind-line"), el("h2", "From " + D.label[a] + " to " + D.label[b]),
            el("p", "No progression from " + D.slug[a] + " to " + D.slug[b] + ": " + whyNoPath(a, b), "none"), clear],
           "data-path", "none");
      return;
    }
    withCards(path).then(function () {
      if (ticket !== shown) return;
      var list = el("ol", null, "steps");
      for (var s = 0; s + 1 < path.length; s++) {
        var li = el("li"), c = cardNow(path[s]), step = null;
        (c ? c[4] : []).forEach(function (x) { if (x[0] === path[s + 1] && !step) step = x; });
        li.appendChild(dreamLink(path[s])); li.appendChild(el("span", " → "));
        li.appendChild(dreamLink(path[s + 1]));
        li.appendChild(el("span", "if: " + (step ? step[2] : ""), "condition"));
        if (step && step[3]) li.appendChild(el("span", step[3], "gloss"));
        list.appendChild(li);
      }
      var hops = path.length - 1;
      fill([el("p", "progression", "kind-line"), el("h2", "From " + D.label[a] + " to " + D.label[b]),
            el("p", path.map(function (n) { return D.slug[n]; }).join(" → ") + " (" + hops + " step" + (hops === 1 ? "" : "s") + ")", "facts"),
            list, clear], "data-path", D.slug[a] + ">" + D.slug[b]);
      redraw();
    }, cardFailed);
  }

  function whyNoPath(a, b) {
    if (!out[a].length) return D.label[a] + " has no next stages (a dead end" + (D.partial[a] ? "; its page is cut off" : "") + ").";
    var seen = {}, stack = [a];
    seen[a] = true;
    while (stack.length) {
      var n = stack.pop();
      out[n].concat(inc[n]).forEach(function (m) { if (!seen[m]) { seen[m] = true; stack.push(m); } });
    }
    if (!seen[b]) return "they are in separate groups: no chain of links joins them in either direction.";
    return D.label[b] + " cannot be reached from " + D.label[a] + " by following next stages.";
  }

  function showHint() {
    ++shown;
    fill([el("p", "Click a dream or a cluster, or search. Shift-click a second dream for the progression between them.", "hint")]);
  }

  // --- state, the address and history ----------------------------------------------------------------------
  var clusterSelect = document.getElementById("cluster-filter");

  function go(change, options) {
    options = options || {};
    for (var key in change) state[key] = change[key];
    if (change.filter) { filterKinds = change.filter.slice(); }
    render(options.fit !== false);
    if (options.push !== false) remember();
  }

  function render(fit) {
    lit = computeLit();
    clusterSelect.value = state.cluster >= 0 ? C[state.cluster].slug : "";
    syncKinds();
    if (state.from >= 0 && state.to >= 0) showPath();
    else if (state.dream >= 0) {
      if (panel.getAttribute("data-dream") === D.slug[state.dream] && panel.querySelector("#depth")) {
        panel.querySelector("#depth").value = String(state.depth);  // same card: keep it (and the slider's focus)
        panel.querySelector("label.depth output").textContent = String(state.depth);
        panel.querySelector("label.depth span").textContent = state.depth === 1 ? " link" : " links";
      } else showDream(state.dream);
      card(state.dream).then(redraw);
    } else if (state.from >= 0 || state.to >= 0) showPath();
    else if (state.cluster >= 0) showCluster(state.cluster);
    else showHint();
    if (fit) fitView();
    redraw();
  }

  function fitBox(box, most) {  // show a box of the canvas whole, no closer than ``most``
    var width = Math.max(box[2] - box[0], 1), height = Math.max(box[3] - box[1], 1);
    var scale = Math.min(container.clientWidth / (width * 1.08), container.clientHeight / (height * 1.08), most || Infinity);
    network.moveTo({ position: { x: (box[0] + box[2]) / 2, y: (box[1] + box[3]) / 2 }, scale: scale, animation: false });
  }
  function boxOf(list, scale) {  // the dots with room for their names (13 px on screen at ``scale``)
    var box = [Infinity, Infinity, -Infinity, -Infinity], px = 13 / (scale || 1);
    list.forEach(function (n) {
      var half = Math.max(size[n], D.label[n].length * px * 0.3);
      box[0] = Math.min(box[0], D.x[n] - half); box[1] = Math.min(box[1], D.y[n] - size[n] - px);
      box[2] = Math.max(box[2], D.x[n] + half); box[3] = Math.max(box[3], D.y[n] + size[n] + px * 2);
    });
    return box;
  }
  function fitList(list) {  // twice: the names' room depends on the zoom the first fit gives
    fitBox(boxOf(list, 1), 1.4);
    fitBox(boxOf(list, network.getScale()), 1.4);
  }
  function fitView() {
    if (lit && lit.list.length) fitList(lit.list);
    else if (!lit && state.cluster >= 0) zoomToCluster(state.cluster);
    else fitBox(bounds);
  }
  function zoomToCluster(c) {
    var cl = C[c];
    if (!cl.r) { fitList(cl.members); return; }
    fitBox([cl.x - cl.r, cl.y - cl.r - 30, cl.x + cl.r, cl.y + cl.r], 1.4);
  }

  function hashOf() {
    var parts = [];
    if (state.dream >= 0) parts.push("dream=" + encodeURIComponent(D.slug[state.dream]));
    if (state.dream >= 0 && state.depth !== 1) parts.push("depth=" + state.depth);
    if (state.cluster >= 0) parts.push("cluster=" + encodeURIComponent(C[state.cluster].slug));
    if (state.from >= 0) parts.push("from=" + encodeURIComponent(D.slug[state.from]));
    if (state.to >= 0) parts.push("to=" + encodeURIComponent(D.slug[state.to]));
    if (filterKinds.length) parts.push("filter=" + filterKinds.map(encodeURIComponent).join(","));
    return parts.length ? "#" + parts.join("&") : "";
  }
  function remember() {
    var hash = hashOf();
    if (hash === location.hash || (!hash && !location.hash)) return;
    try { history.pushState(null, "", hash || location.pathname + location.search); } catch (error) { /* a page without history */ }
  }
  function parse(hash) {
    var wanted = { dream: -1, depth: 1, cluster: -1, from: -1, to: -1, filter: [] };
    hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var at = pair.indexOf("="), key = pair.slice(0, at), value = at < 0 ? "" : decodeURIComponent(pair.slice(at + 1));
      if ((key === "dream" || key === "from" || key === "to") && bySlug[value] !== undefined) wanted[key] = bySlug[value];
      if (key === "cluster" && clusterBySlug[value] !== undefined) wanted.cluster = clusterBySlug[value];
      if (key === "depth") wanted.depth = Math.max(1, Math.min(3, parseInt(value, 10) || 1));
      if (key === "filter") wanted.filter = value.split(",").filter(function (f) { return kindNames.indexOf(f) >= 0; });
    });
    return wanted;
  }
  window.addEventListener("popstate", function () { go(parse(location.hash), { push: false }); });

  // --- controls -------------------------------------------------------------------------------------
  function pick(n) {  // select a dream; a path with one end chosen keeps it, waiting for the other
    var pending = (state.from >= 0) !== (state.to >= 0);
    go(pending ? { dream: n } : { dream: n, from: -1, to: -1 });
  }

  network.on("click", function (params) {
    var pointer = params.pointer.canvas, shift = params.event && params.event.srcEvent && params.event.srcEvent.shiftKey;
    var slack = 4 / network.getScale(), n = dreamAt(pointer.x, pointer.y, slack);
    if (n < 0) { var s = satelliteAt(pointer.x, pointer.y, slack); if (s >= 0) n = data.satellites[s].parent; }
    if (n >= 0) {
      if (shift) {
        if (state.from >= 0 && state.to < 0) go({ to: n, dream: -1 });
        else if (state.dream >= 0 && state.dream !== n) go({ from: state.dream, to: n, dream: -1 });
        else go({ from: n, to: -1, dream: -1 });
      } else pick(n);
      return;
    }
    var hit = -1;
    C.forEach(function (c, m) {
      var dx = pointer.x - c.x, dy = pointer.y - c.y;
      if (c.r && dx * dx + dy * dy <= c.r * c.r && (hit < 0 || c.r < C[hit].r)) hit = m;
    });
    if (hit >= 0) go({ dream: -1, cluster: hit, from: -1, to: -1 });
    else if (state.dream >= 0 || state.from >= 0 || state.to >= 0 || state.cluster >= 0) go({ dream: -1, from: -1, to: -1, cluster: -1 });
  });

  C.map(function (c, n) { return n; }).sort(function (x, y) { return C[x].label < C[y].label ? -1 : 1; }).forEach(function (n) {
    var option = el("option", C[n].label + " (" + C[n].members.length + ")"); option.value = C[n].slug; clusterSelect.appendChild(option);
  });
  clusterSelect.addEventListener("change", function () {
    go({ cluster: clusterSelect.value ? clusterBySlug[clusterSelect.value] : -1, dream: -1, from: -1, to: -1 });
  });

  var kindNames = ["written", "stub", "partial"].concat(data.gapKinds);
  var kindBox = document.getElementById("kind-options"), kindSummary = document.getElementById("kind-summary");
  var counts = { written: 0, stub: 0, partial: 0 };
  for (i = 0; i < N; i++) { if (D.stub[i]) counts.stub++; else counts.written++; if (D.partial[i]) counts.partial++; }
  data.gaps.forEach(function (g) { counts[g.kind] = (counts[g.kind] || 0) + 1; });
  kindNames.forEach(function (kind) {
    var label = el("label"), box = el("input");
    box.type = "checkbox"; box.value = kind; box.setAttribute("data-kind", kind);
    box.addEventListener("change", function () {
      var chosen = [];
      kindBox.querySelectorAll("input:checked").forEach(function (b) { chosen.push(b.value); });
      go({ filter: chosen, dream: -1, from: -1, to: -1 });
    });
    label.appendChild(box);
    if (data.gapMarks[kind] && data.gapKinds.indexOf(kind) >= 0) {
      var badge = el("span", data.gapMarks[kind][1], "mark"); badge.style.background = data.gapMarks[kind][0]; label.appendChild(badge);
    }
    label.appendChild(el("span", (kind === "written" ? "written dreams" : kind === "stub" ? "stubs" : kind === "partial" ? "partial articles" : kind) + " (" + (counts[kind] || 0) + ")"));
    kindBox.appendChild(label);
  });
  function syncKinds() {
    kindBox.querySelectorAll("input").forEach(function (b) { b.checked = filterKinds.indexOf(b.value) >= 0; });
    kindSummary.textContent = filterKinds.length ? filterKinds.join(", ") : "everything";
  }

  function zoom(factor) {
    network.moveTo({ scale: network.getScale() * factor, animation: false });
  }
  function pan(dx, dy) {
    var p = network.getViewPosition(), s = network.getScale();
    network.moveTo({ position: { x: p.x + dx / s, y: p.y + dy / s }, animation: false });
  }
  function clearAll() { go({ dream: -1, cluster: -1, from: -1, to: -1, depth: 1, filter: [] }); }
  document.getElementById("fit").addEventListener("click", fitView);
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(1.3); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(1 / 1.3); });
  document.getElementById("reset").addEventListener("click", clearAll);
  document.getElementById("png").addEventListener("click", function () {
    var source = container.querySelector("canvas"), copy = document.createElement("canvas");
    copy.width = source.width; copy.height = source.height;
    var ctx = copy.getContext("2d");
    ctx.fillStyle = theme.bg; ctx.fillRect(0, 0, copy.width, copy.height); ctx.drawImage(source, 0, 0);
    var link = document.createElement("a");
    link.download = (data.view || "view") + ".png"; link.href = copy.toDataURL("image/png");
    document.body.appendChild(link); link.click(); link.remove();
  });
  var panelBox = document.getElementById("panel"), toggle = document.getElementById("panel-toggle");
  function openPanel(open) { panelBox.classList.toggle("open", open); toggle.setAttribute("aria-expanded", String(open)); }
  toggle.addEventListener("click", function () { openPanel(!panelBox.classList.contains("open")); });

  document.addEventListener("keydown", function (event) {
    var target = event.target, typing = target && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA");
    if (event.key === "Escape") {
      if (target === search && !list.hidden) return;
      clearAll(); return;
    }
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    var step = 90, handled = true;
    if (event.key === "ArrowLeft") pan(-step, 0);
    else if (event.key === "ArrowRight") pan(step, 0);
    else if (event.key === "ArrowUp") pan(0, -step);
    else if (event.key === "ArrowDown") pan(0, step);
    else if (event.key === "+" || event.key === "=") zoom(1.3);
    else if (event.key === "-" || event.key === "_") zoom(1 / 1.3);
    else if (event.key === "f" || event.key === "0") fitView();
    else handled = false;
    if (handled) event.preventDefault();
  });

  // --- search: dreams by name, title, alias and slug, and clusters; forgiving of slips ---------------------------
  var search = document.getElementById("search"), list = document.getElementById("search-list");
  var status = document.getElementById("search-status");
  var entries = [];
  for (i = 0; i < N; i++) {
    entries.push([D.label[i].toLowerCase(), 0, i]);
    entries.push([D.slug[i].replace(/-/g, " "), 0, i]);
    D.names[i].forEach(function (name) { entries.push([name, 0, i]); });
  }
  C.forEach(function (c, n) { entries.push([c.label.toLowerCase(), 1, n]); entries.push([c.slug.replace(/-/g, " "), 1, n]); });
  function bigrams(s) { var g = {}; for (var n = 0; n < s.length - 1; n++) g[s.substr(n, 2)] = (g[s.substr(n, 2)] || 0) + 1; return g; }
  function dice(a, b) {
    var ga = bigrams(a), gb = bigrams(b), shared = 0, total = Math.max(a.length - 1, 0) + Math.max(b.length - 1, 0);
    for (var g in ga) if (gb[g]) shared += Math.min(ga[g], gb[g]);
    return total ? 2 * shared / total : 0;
  }
  function score(query, name) {
    if (name === query) return 1000;
    if (name.indexOf(query) === 0) return 800 - (name.length - query.length);
    var at = name.indexOf(query);
    if (at > 0 && /[\s-]/.test(name[at - 1])) return 600 - at;
    if (at > 0) return 400 - at;
    if (query.length >= 3) {
      var q = 0, gaps = 0, last = -1;
      for (var n = 0; n < name.length && q < query.length; n++) if (name[n] === query[q]) { if (last >= 0) gaps += n - last - 1; last = n; q++; }
      if (q === query.length && gaps <= 2 * query.length) return 200 - gaps;
      if (query.length >= 4) { var d = dice(query, name.length > query.length + 12 ? name.slice(0, query.length + 12) : name); if (d >= 0.5) return Math.round(150 * d); }
    }
    return 0;
  }
  function find(textValue) {
    var query = textValue.trim().toLowerCase().replace(/\s+/g, " ");
    if (!query) return [];
    var best = {};
    entries.forEach(function (entry) {
      var s = score(query, entry[0]);
      if (!s) return;
      var key = entry[1] + ":" + entry[2];
      if (!best[key] || best[key].score < s) best[key] = { score: s, kind: entry[1] ? "cluster" : "dream", index: entry[2], name: entry[0] };
    });
    var found = Object.keys(best).map(function (key) { return best[key]; });
    found.sort(function (x, y) {
      return y.score - x.score || (x.kind === y.kind ? 0 : x.kind === "dream" ? -1 : 1) || rankOf(y) - rankOf(x) || (labelOf(x) < labelOf(y) ? -1 : labelOf(x) > labelOf(y) ? 1 : 0);
    });
    return found.slice(0, 8);
  }
  function rankOf(m) { return m.kind === "cluster" ? C[m.index].members.length : D.rank[m.index]; }
  function labelOf(m) { return m.kind === "cluster" ? C[m.index].label : D.label[m.index]; }
  var matches = [], active = -1;
  function showMatches() {
    matches = find(search.value);
    list.textContent = "";
    active = matches.length ? 0 : -1;
    matches.forEach(function (m, n) {
      var li = el("li"), label = labelOf(m);
      li.id = "match-" + n; li.setAttribute("role", "option");
      li.setAttribute("data-kind", m.kind); li.setAttribute("data-slug", m.kind === "cluster" ? C[m.index].slug : D.slug[m.index]);
      li.appendChild(el("span", label));
      li.appendChild(el("span", m.kind === "cluster" ? "cluster" : D.stub[m.index] ? "stub" : "dream", "kind"));
      if (m.name !== label.toLowerCase() && m.name !== (m.kind === "cluster" ? C[m.index].slug : D.slug[m.index]).replace(/-/g, " ")) li.appendChild(el("span", m.name, "also"));
      li.addEventListener("mousedown", function (event) { event.preventDefault(); choose(n); });
      list.appendChild(li);
    });
    list.hidden = !matches.length;
    search.setAttribute("aria-expanded", String(!!matches.length));
    status.textContent = search.value.trim() && !matches.length ? "No dream or cluster matches “" + search.value.trim() + "”" : "";
    mark();
  }
  function mark() {
    Array.prototype.forEach.call(list.children, function (li, n) { li.setAttribute("aria-selected", String(n === active)); });
    if (active >= 0) search.setAttribute("aria-activedescendant", "match-" + active); else search.removeAttribute("aria-activedescendant");
  }
  function choose(n) {
    var m = matches[n];
    if (!m) return;
    list.hidden = true; search.setAttribute("aria-expanded", "false");
    search.value = labelOf(m);
    if (m.kind === "cluster") go({ cluster: m.index, dream: -1, from: -1, to: -1 });
    else go({ dream: m.index, from: -1, to: -1 });
  }
  search.addEventListener("input", showMatches);
  search.addEventListener("focus", function () { if (search.value.trim()) showMatches(); });
  search.addEventListener("blur", function () { list.hidden = true; search.setAttribute("aria-expanded", "false"); });
  search.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) showMatches();
      if (matches.length) active = (active + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
      mark(); event.preventDefault();
    } else if (event.key === "Enter") {
      if (list.hidden) showMatches();
      event.preventDefault();
      if (matches.length) choose(Math.max(active, 0));
    } else if (event.key === "Escape") {
      if (!list.hidden) { list.hidden = true; search.setAttribute("aria-expanded", "false"); event.preventDefault(); event.stopPropagation(); }
    }
  });

  // --- the gap list (gap views) ---------------------------------------------------------------------------------------
  if (data.gaps.length) {
    var gapBox = document.getElementById("gap-list"), groups = document.getElementById("gap-groups");
    gapBox.hidden = false;
    gapBox.querySelector("h2").textContent = "Gaps (" + data.gaps.length + ")";
    data.gapKinds.forEach(function (kind, order) {
      var ofKind = [];
      data.gaps.forEach(function (g, n) { if (g.kind === kind) ofKind.push(n); });
      var details = el("details"), summary = el("summary"), badge = el("span", data.gapMarks[kind][1], "mark"), listBox = el("ol");
      details.setAttribute("data-kind", kind);
      if (order === 0) details.open = true;
      badge.style.background = data.gapMarks[kind][0];
      summary.appendChild(badge); summary.appendChild(el("span", kind + " (" + ofKind.length + ")"));
      details.appendChild(summary); details.appendChild(listBox);
      function more(from) {
        ofKind.slice(from, from + 100).forEach(function (n) {
          var gap = data.gaps[n], li = el("li"), button = el("button", gap.label, "link");
          button.type = "button"; button.setAttribute("data-gap", String(n));
          button.addEventListener("click", function () {
            if (gap.on === "cluster") go({ cluster: gap.node, dream: -1, from: -1, to: -1 });
            else go({ dream: gap.node, from: -1, to: -1 });
            panelBox.scrollTop = 0;
          });
          li.appendChild(el("span", String(gap.score) + " ", "score")); li.appendChild(button); li.appendChild(el("span", gap.action, "condition"));
          listBox.appendChild(li);
        });
        if (from + 100 < ofKind.length) {
          var rest = el("button", "Show " + Math.min(100, ofKind.length - from - 100) + " more of " + (ofKind.length - from - 100), "link");
          rest.type = "button";
          rest.addEventListener("click", function () { rest.remove(); more(from + 100); });
          details.appendChild(rest);
        }
      }
      more(0);
      groups.appendChild(details);
    });
  }

  // --- the legend: every mark on the page, with counts --------------------------------------------------------------
  (function legend() {
    var box = document.getElementById("legend-list");
    function item(swatch, label, style) {
      var li = el("li"), s = el("span", swatch.text || null, swatch.className);
      if (style) for (var key in style) s.style[key] = style[key];
      s.setAttribute("aria-hidden", "true");
      li.appendChild(s); li.appendChild(el("span", label)); box.appendChild(li);
    }
    item({ className: "swatch written" }, "written dream (" + counts.written + "); its colour is its cluster");
    item({ className: "swatch stub" }, "stub, no article yet (" + counts.stub + ")");
    if (counts.partial) item({ className: "swatch partial" }, "partial article, cut off (" + counts.partial + ")");
    var regions = C.filter(function (c) { return c.r; }).length;
    if (regions) item({ className: "swatch region" }, "cluster (" + C.length + "): a region with its name and size; click it");
    item({ className: "arrow" }, "next stage (" + edgeFrom.length + ")");
    item({ className: "swatch size" }, "size: PageRank, how much the library leads there");
    item({ className: "swatch select" }, "selected; the rest dims (depth 1–3)");
    item({ className: "path-line" }, "progression step, numbered (shift-click two dreams)");
    if (data.satellites.length) {
      item({ className: "swatch scenario" }, "scenario of the dream");
      item({ className: "swatch sensation" }, "sensation of the dream");
    }
    data.gapKinds.forEach(function (kind) {
      item({ className: "mark", text: data.gapMarks[kind][1] }, kind + " (" + counts[kind] + ")", { background: data.gapMarks[kind][0] });
    });
  })();

  // --- open ----------------------------------------------------------------------------------------------------
  var start = location.hash.length > 1 ? parse(location.hash) : null;
  if (!start) {
    start = { dream: -1, depth: data.initial.depth || 1, cluster: -1, from: -1, to: -1, filter: [] };
    if (data.initial.dream !== undefined && bySlug[data.initial.dream] !== undefined) start.dream = bySlug[data.initial.dream];
    if (data.initial.cluster !== undefined && clusterBySlug[data.initial.cluster] !== undefined) start.cluster = clusterBySlug[data.initial.cluster];
    if (data.initial.from !== undefined) { start.from = bySlug[data.initial.from]; start.to = bySlug[data.initial.to]; }
  }
  go(start, { push: false });

  window.network = network;
  window.dreamgraph = {
    data: data, find: find, dreamAt: dreamAt,
    state: function () {
      return { dream: state.dream >= 0 ? D.slug[state.dream] : null, depth: state.depth,
               cluster: state.cluster >= 0 ? C[state.cluster].slug : null, from: state.from >= 0 ? D.slug[state.from] : null,
               to: state.to >= 0 ? D.slug[state.to] : null, filter: filterKinds.slice(), hash: hashOf() };
    },
    lit: function () { return lit ? lit.list.map(function (n) { return D.slug[n]; }).sort() : null; },
    path: function () { return lit && lit.path ? lit.path.map(function (n) { return D.slug[n]; }) : null; },
    select: function (slug) { if (bySlug[slug] === undefined) return false; pick(bySlug[slug]); return true; },
    selectCluster: function (slug) { go({ cluster: clusterBySlug[slug], dream: -1, from: -1, to: -1 }); },
    progression: function (a, b) { go({ from: bySlug[a], to: bySlug[b], dream: -1 }); },
    clear: clearAll,
    screen: function (slug) {  // where a dream is drawn, in page coordinates (for tests and tools)
      var n = bySlug[slug], p = network.canvasToDOM({ x: D.x[n], y: D.y[n] }), r = container.getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y, r: size[n] * network.getScale(), inside: p.x >= 0 && p.y >= 0 && p.x <= container.clientWidth && p.y <= container.clientHeight };
    },
    region: function (slug) {
      var c = C[clusterBySlug[slug]], p = network.canvasToDOM({ x: c.x, y: c.y }), r = container.getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y, r: c.r * network.getScale() };
    }
  };
})();
