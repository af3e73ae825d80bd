// The care rule form: choosing what starts a rule shows the settings that trigger reads and
// hides the others (each field lists its triggers in data-triggers). Without JavaScript the
// "Show its settings" button sends the form back to the server, which shows the same fields.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.rule-form");
    if (!form) return;
    var trigger = form.querySelector("[name=trigger]");
    if (!trigger) return;
    // Removed, not hidden: pressing Enter in a field submits with the form's first button,
    // which must then be Save.
    form.querySelectorAll(".js-hide").forEach(function (element) { element.remove(); });
    function show() {
      form.querySelectorAll("[data-triggers]").forEach(function (field) {
        var users = field.getAttribute("data-triggers").split(" ");
        field.hidden = users.indexOf(trigger.value) === -1;
      });
    }
    trigger.addEventListener("change", show);
    show();
  });
})();
