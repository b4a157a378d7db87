/* dreamgraph view: draws the graph with vis-network and fills the side panel.
   Every text from the articles is set with textContent, never parsed as HTML. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dreamgraph-data").textContent);
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("graph"), { nodes: nodes, edges: edges }, data.options);
  var satellites = [];

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function linkTo(id, label) {
    var button = el("button", label, "link");
    button.type = "button";
    button.setAttribute("data-target", id);
    button.addEventListener("click", function () { select(id); });
    return button;
  }

  function list(title, items, render) {
    if (!items.length) return null;
    var section = el("section");
    section.appendChild(el("h3", title));
    var ul = el("ul");
    items.forEach(function (item) { var li = el("li"); render(li, item); ul.appendChild(li); });
    section.appendChild(ul);
    return section;
  }

  function showCard(id) {
    var card = data.cards[id];
    var panel = document.getElementById("panel-card");
    panel.textContent = "";
    if (!card) return;
    panel.setAttribute("data-dream", id);
    panel.appendChild(el("h2", card.label));
    if (card.subtitle) panel.appendChild(el("p", card.subtitle, "subtitle"));
    if (card.stub) panel.appendChild(el("span", "stub: no article yet", "badge"));
    if (card.partial) panel.appendChild(el("span", "partial article", "badge"));
    card.clusters.forEach(function (c) { panel.appendChild(el("span", "cluster: " + c.label, "badge")); });
    [
      list("Quick Answer", card.quick, function (li, text) { li.textContent = text; }),
      list("Scenarios", card.scenarios, function (li, pair) {
        li.appendChild(el("span", pair[0])); li.appendChild(el("span", " → " + pair[1], "meaning"));
      }),
      list("Sensations", card.sensations, function (li, pair) {
        li.appendChild(el("span", pair[0])); li.appendChild(el("span", " → " + pair[1], "meaning"));
      }),
      list("Next stages", card.next, function (li, step) {
        li.appendChild(linkTo(step.id, step.label)); li.appendChild(el("span", step.condition, "condition"));
      }),
      list("Led to from", card.from, function (li, step) { li.appendChild(linkTo(step.id, step.label)); })
    ].forEach(function (section) { if (section) panel.appendChild(section); });
  }

  function showSatellites(id) {
    if (!data.satellitesOnDemand) return;
    if (satellites.length) {
      nodes.remove(satellites.map(function (s) { return s.node.id; }));
      edges.remove(satellites.map(function (s) { return s.edge.id; }));
      satellites = [];
    }
    var card = data.cards[id];
    if (!card) return;
    var center = network.getPositions([id])[id];
    var items = [];
    card.scenarios.forEach(function (p, i) { items.push(["scenario", i + 1, p]); });
    card.sensations.forEach(function (p, i) { items.push(["sensation", i + 1, p]); });
    items.forEach(function (item, i) {
      var style = data.styles[item[0]], angle = 2 * Math.PI * i / items.length;
      var nodeId = item[0] + ":" + card.slug + "/" + item[1], label = item[2][0];
      var node = { id: nodeId, kind: item[0], label: label.length > 40 ? label.slice(0, 39) + "…" : label,
                   title: item[2][0] + "\n→ " + item[2][1], shape: style.shape, size: 7, borderWidth: 1,
                   font: { size: 11, color: "#52606d" },
                   color: { border: style.color, background: style.fill },
                   x: center.x + 170 * Math.cos(angle), y: center.y + 170 * Math.sin(angle) };
      var edge = { id: nodeId + ">", from: id, to: nodeId, color: { color: style.color, opacity: 0.6 } };
      satellites.push({ node: node, edge: edge });
    });
    nodes.add(satellites.map(function (s) { return s.node; }));
    edges.add(satellites.map(function (s) { return s.edge; }));
  }

  function select(id) {
    if (!nodes.get(id)) return false;
    if (nodes.get(id).hidden) { filter.value = ""; applyFilter(); }
    showSatellites(id);
    network.selectNodes([id]);
    network.focus(id, { scale: Math.max(network.getScale(), 1), animation: false });
    showCard(id);
    return true;
  }

  network.on("click", function (params) {
    if (params.nodes.length && data.cards[params.nodes[0]]) {
      showSatellites(params.nodes[0]);
      network.selectNodes([params.nodes[0]]);
      showCard(params.nodes[0]);
    }
  });

  // Search: by label, slug or title, exact first, then the first that starts with or contains the text.
  var names = document.getElementById("dream-names");
  var ids = Object.keys(data.cards).sort();
  ids.forEach(function (id) { var option = el("option"); option.value = data.cards[id].label; names.appendChild(option); });
  function find(text) {
    var wanted = text.trim().toLowerCase();
    if (!wanted) return null;
    var tests = [
      function (c) { return c.label.toLowerCase() === wanted || c.slug === wanted; },
      function (c) { return c.label.toLowerCase().indexOf(wanted) === 0 || c.slug.indexOf(wanted) === 0; },
      function (c) { return c.label.toLowerCase().indexOf(wanted) >= 0 || c.subtitle.toLowerCase().indexOf(wanted) >= 0; }
    ];
    for (var t = 0; t < tests.length; t++) {
      for (var i = 0; i < ids.length; i++) { if (tests[t](data.cards[ids[i]])) return ids[i]; }
    }
    return null;
  }
  var search = document.getElementById("search");
  function runSearch() { var id = find(search.value); if (id) select(id); }
  document.getElementById("search-form").addEventListener("submit", function (e) { e.preventDefault(); runSearch(); });
  search.addEventListener("change", runSearch);

  // Filter by cluster: hide dreams and clusters outside it.
  var filter = document.getElementById("cluster-filter");
  data.clusters.forEach(function (c) { var option = el("option", c.label); option.value = c.id; filter.appendChild(option); });
  function applyFilter() {
    var chosen = filter.value;
    nodes.update(data.nodes.map(function (n) {
      return { id: n.id, hidden: chosen !== "" && n.clusters.indexOf(chosen) < 0 };
    }));
  }
  filter.addEventListener("change", applyFilter);

  // The ranked gap list (gap views only).
  if (data.gaps.length) {
    var gapList = document.getElementById("gap-list");
    gapList.hidden = false;
    data.gaps.forEach(function (gap) {
      var li = el("li");
      li.appendChild(el("span", gap.kind + " ", "badge"));
      li.appendChild(linkTo(gap.node, gap.label));
      li.appendChild(el("span", gap.action, "condition"));
      gapList.querySelector("ol").appendChild(li);
    });
  }

  network.once("afterDrawing", function () { document.body.setAttribute("data-drawn", "true"); });
  window.network = network;
  window.dreamgraph = { nodes: nodes, edges: edges, data: data, select: select, find: find };
})();
