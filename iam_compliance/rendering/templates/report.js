// Item filters: severity, check, outcome and text. The page works without this script (everything is
// shown); with it, rows that do not match are hidden, and so are controls left with no rows.
(function () {
  "use strict";
  var table = document.getElementById("item-table");
  var form = document.getElementById("filters");
  if (!table || !form) { return; }
  var severity = document.getElementById("f-sev");
  var check = document.getElementById("f-check");
  var text = document.getElementById("f-text");
  var count = document.getElementById("f-count");
  var outcomes = form.querySelectorAll("fieldset input");
  var groups = table.tBodies;
  var texts = null; // each row's text, lower-cased once, on the first text search

  function apply() {
    var wanted = {};
    outcomes.forEach(function (box) { wanted[box.value] = box.checked; });
    var sev = severity.value, chk = check.value, needle = text.value.trim().toLowerCase();
    if (needle && texts === null) {
      texts = new Map();
      table.querySelectorAll("tr.item").forEach(function (row) { texts.set(row, row.textContent.toLowerCase()); });
    }
    var shown = 0, total = 0;
    for (var g = 0; g < groups.length; g++) {
      var group = groups[g];
      var rows = group.querySelectorAll("tr.item");
      var visible = 0;
      var groupOk = !chk || group.dataset.check === chk;
      for (var r = 0; r < rows.length; r++) {
        var row = rows[r];
        total++;
        var ok = groupOk && wanted[row.dataset.outcome] !== false && (!sev || row.dataset.sev === sev) &&
          (!needle || texts.get(row).indexOf(needle) !== -1);
        if (row.hidden === ok) { row.hidden = !ok; }
        if (ok) { visible++; }
      }
      if (group.hidden !== (visible === 0)) { group.hidden = visible === 0; }
      shown += visible;
    }
    count.textContent = "Showing " + shown + " of " + total + " rows";
  }

  var timer = null;
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("change", apply);
  text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 150); });

  // A link to a control's items (#items-<check id>) shows that control's items only.
  function follow() {
    var hash = decodeURIComponent(location.hash.slice(1));
    if (hash.indexOf("items-") === 0) {
      var id = hash.slice(6);
      if (Array.prototype.some.call(check.options, function (o) { return o.value === id; })) {
        check.value = id;
        apply();
        var target = document.getElementById(hash);
        if (target) { target.scrollIntoView(); }
      }
    }
  }
  window.addEventListener("hashchange", follow);
  // Everything is shown at first: no need to touch thousands of rows before the reader asks.
  var rows = table.querySelectorAll("tr.item").length;
  count.textContent = "Showing " + rows + " of " + rows + " rows";
  follow();
})();
