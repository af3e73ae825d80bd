// The care rule form: choosing what starts a rule shows the settings that trigger reads and
// hides the others (each field lists its triggers in data-triggers); choosing what it does
// shows that action's fields (data-actions: a message's template, a task's kind). Without
// JavaScript the "Show its settings" and "Show what it needs" buttons send the form back to
// the server, which shows the same fields.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.rule-form");
    if (!form) return;
    var trigger = form.querySelector("[name=trigger]");
    var action = form.querySelector("[name=action]");
    if (!trigger || !action) return;
    // Removed, not hidden: pressing Enter in a field submits with the form's first button,
    // which must then be Save.
    form.querySelectorAll(".js-hide").forEach(function (element) { element.remove(); });
    function show() {
      form.querySelectorAll("[data-triggers], [data-actions]").forEach(function (field) {
        var triggers = field.getAttribute("data-triggers");
        var actions = field.getAttribute("data-actions");
        field.hidden =
          (triggers !== null && triggers.split(" ").indexOf(trigger.value) === -1) ||
          (actions !== null && actions.split(" ").indexOf(action.value) === -1);
      });
    }
    trigger.addEventListener("change", show);
    action.addEventListener("change", show);
    show();
  });
})();
