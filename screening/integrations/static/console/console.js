/* The console's little script: live SLA countdowns, and the verdict keyboard shortcuts.
   No data is embedded in scripts; it reads data-* attributes the server escaped. */
(function () {
  "use strict";
  function fmt(s) {
    var neg = s < 0, a = Math.abs(s), h = Math.floor(a / 3600), m = Math.floor((a % 3600) / 60), x = a % 60;
    var t = (h ? h + " 小时 " : "") + (h || m ? m + " 分 " : "") + x + " 秒";
    return neg ? "已超时 " + t : "剩余 " + t;
  }
  var clocks = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-due]"));
  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var left = Math.round((due - now) / 1000);
      el.textContent = fmt(left);
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 1800);
      var row = el.closest("tr.task");
      if (row) { row.classList.toggle("overdue", left < 0); }
    });
  }
  if (clocks.length) { tick(); setInterval(tick, 1000); }

  var form = document.getElementById("verdict-form");
  if (form) {
    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) { return; }
      var t = ev.target, tag = t && t.tagName;
      var typing = (tag === "INPUT" && t.type !== "checkbox" && t.type !== "radio") || tag === "TEXTAREA" ||
        tag === "SELECT" || (t && t.isContentEditable);
      if (typing) { return; }
      var btn = form.querySelector('button[data-key="' + ev.key.toLowerCase() + '"]');
      if (!btn) { return; }
      ev.preventDefault();
      if (form.getAttribute("data-sent")) { return; }
      form.setAttribute("data-sent", "1");
      if (form.requestSubmit) { form.requestSubmit(btn); } else { btn.click(); }
    });
  }
  document.documentElement.setAttribute("data-ready", "1");
})();
