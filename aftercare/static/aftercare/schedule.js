// The booking form: the end follows the start (keeping the visit's length), and choosing a
// kind of visit sets the end to the kind's usual length. Without JavaScript both fields are
// still typed by hand and checked by the server.
// The move form: the end shown follows the new start. The week view: a booking dragged onto
// another day is moved there at its time, by posting the move form's fields (day, time) to the
// booking's move page like the form does; without JavaScript (or with the keyboard) its Move
// link opens that form.
(function () {
  "use strict";
  function parse(value) {
    var match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!match) return null;
    return new Date(Date.UTC(+match[1], match[2] - 1, +match[3], +match[4], +match[5]));
  }
  function format(date) {
    return date.getUTCFullYear() + "-" + two(date.getUTCMonth() + 1) + "-" + two(date.getUTCDate()) +
      "T" + two(date.getUTCHours()) + ":" + two(date.getUTCMinutes());
  }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function moveForm() {
    var form = document.querySelector("form.move-form");
    if (!form) return;
    var time = form.querySelector("[name=time]");
    var shown = form.querySelector("[data-move-ends]");
    var minutes = parseInt(form.getAttribute("data-minutes"), 10) || 0;
    if (!time || !shown) return;
    time.addEventListener("change", function () {
      var match = /^(\d{1,2}):(\d{2})/.exec(time.value || "");
      if (!match) return;
      var end = (+match[1] * 60 + +match[2] + minutes) % (24 * 60);
      shown.textContent = two(Math.floor(end / 60)) + ":" + two(end % 60);
    });
  }
  function weekDragging() {
    var poster = document.querySelector("form.week-move-form");
    if (!poster) return;
    var dragged = null;
    document.querySelectorAll(".week-appointment[data-move-url]").forEach(function (item) {
      item.addEventListener("dragstart", function (event) {
        dragged = item;
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", item.getAttribute("data-move-url"));
      });
      item.addEventListener("dragend", function () { dragged = null; });
    });
    document.querySelectorAll(".week-day[data-day]").forEach(function (day) {
      day.addEventListener("dragover", function (event) {
        if (!dragged) return;
        event.preventDefault();
        day.classList.add("drop-target");
      });
      day.addEventListener("dragleave", function () { day.classList.remove("drop-target"); });
      day.addEventListener("drop", function (event) {
        day.classList.remove("drop-target");
        if (!dragged) return;
        event.preventDefault();
        if (dragged.closest(".week-day") === day) return;  // the same day: nothing moves
        poster.setAttribute("action", dragged.getAttribute("data-move-url"));
        poster.querySelector("[name=day]").value = day.getAttribute("data-day");
        poster.querySelector("[name=time]").value = dragged.getAttribute("data-time");
        poster.submit();
      });
    });
  }
  document.addEventListener("DOMContentLoaded", moveForm);
  document.addEventListener("DOMContentLoaded", weekDragging);
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.booking-form");
    if (!form) return;
    var starts = form.querySelector("[name=starts_at]");
    var ends = form.querySelector("[name=ends_at]");
    var kind = form.querySelector("[name=kind]");
    var minutesOf = {};
    try { minutesOf = JSON.parse(form.getAttribute("data-kind-minutes") || "{}"); } catch (e) { minutesOf = {}; }
    function length() {
      var s = parse(starts.value), e = parse(ends.value);
      return s && e && e > s ? (e - s) / 60000 : (minutesOf[kind && kind.value] || 50);
    }
    var kept = length();
    starts.addEventListener("change", function () {
      var s = parse(starts.value);
      if (s) ends.value = format(new Date(s.getTime() + kept * 60000));
    });
    ends.addEventListener("change", function () { kept = length(); });
    if (kind) kind.addEventListener("change", function () {
      var s = parse(starts.value), minutes = minutesOf[kind.value];
      if (s && minutes) { kept = minutes; ends.value = format(new Date(s.getTime() + minutes * 60000)); }
    });
  });
})();
