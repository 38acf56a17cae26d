// Search over labels, synonyms and identifiers, in the browser, from search-index.js (no server needed).
(function () {
  "use strict";
  var root = document.currentScript.getAttribute("data-root") || "";
  function norm(text) { return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, ""); }
  function score(entry, q) {
    var label = norm(entry.label);
    if (label === q) { return 0; }
    if (label.indexOf(q) === 0) { return 1; }
    if (label.indexOf(q) >= 0) { return 2; }
    if (entry.synonyms.some(function (s) { return norm(s).indexOf(q) >= 0; })) { return 3; }
    if (norm(entry.curie).indexOf(q) >= 0) { return 4; }
    return -1;
  }
  function search(q) {
    var hits = [];
    (window.CIRO_SEARCH || []).forEach(function (entry) {
      var s = score(entry, q);
      if (s >= 0) { hits.push([s, entry]); }
    });
    hits.sort(function (a, b) { return a[0] - b[0] || a[1].label.localeCompare(b[1].label); });
    return hits.slice(0, 25).map(function (hit) { return hit[1]; });
  }
  function show(box, list) {
    var q = norm(box.value.trim());
    list.replaceChildren();
    if (!q) { return; }
    var hits = search(q);
    if (!hits.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = "no term matches \u201c" + box.value.trim() + "\u201d";
      list.appendChild(none);
      return;
    }
    hits.forEach(function (entry) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = root + entry.url;
      link.textContent = entry.label;
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = entry.kind;
      link.appendChild(kind);
      if (entry.synonyms.length) {
        var syn = document.createElement("div");
        syn.className = "syn";
        syn.textContent = entry.synonyms.join("; ");
        link.appendChild(syn);
      }
      item.appendChild(link);
      list.appendChild(item);
    });
  }
  document.querySelectorAll("form.search").forEach(function (form) {
    var box = form.querySelector("input");
    var list = form.querySelector("ul");
    box.addEventListener("input", function () { show(box, list); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var first = list.querySelector("a");
      if (first) { window.location.href = first.href; }
    });
  });
})();
