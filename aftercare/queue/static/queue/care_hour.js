// Care hour keyboard shortcuts: n = next item, d = done, s = snooze (to the date shown).
// The buttons do the same without a keyboard; nothing here is needed for the page to work.
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var control = document.querySelector('.care-hour-item [data-shortcut="' + event.key + '"]');
    if (!control) return;
    event.preventDefault();
    if (control.tagName === "A") {
      window.location.assign(control.href);
    } else {
      // form.submit() skips the submit event, so this is a plain post and the walk moves on.
      var form = control.form;
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = control.value;
      form.appendChild(action);
      HTMLFormElement.prototype.submit.call(form);
    }
  });
})();
