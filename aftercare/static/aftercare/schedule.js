// The booking form: the end follows the start (keeping the visit's length), and choosing a
// kind of visit sets the end to the kind's usual length. Without JavaScript both fields are
// still typed by hand and checked by the server.
// The move form: the end shown follows the new start. The week view: a booking dragged onto an
// hour of a day is moved to that day at the quarter hour where it is dropped (the hour's height
// split in data-step minutes); dropped elsewhere on another day it keeps its time. Either way
// the page posts the move form's fields (day, time) to the booking's move page like the form
// does, so the server checks, warns and tells alike; without JavaScript (or with the keyboard)
// its Move link opens that form.
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
    // The start a drop at ``event`` in ``hour`` (a .week-hour) means: its time, plus the
    // whole steps above the pointer, never past the end of the hour's slot.
    function dropTime(hour, event) {
      var match = /^(\d{1,2}):(\d{2})$/.exec(hour.getAttribute("data-time") || "");
      if (!match) return null;
      var step = parseInt(hour.parentNode.getAttribute("data-step"), 10) || 15;
      var minutes = parseInt(hour.getAttribute("data-minutes"), 10) || 60;
      var box = hour.getBoundingClientRect();
      var steps = Math.ceil(minutes / step);
      var at = Math.floor(((event.clientY - box.top) / box.height) * steps);
      at = Math.max(0, Math.min(steps - 1, at));
      var start = +match[1] * 60 + +match[2] + at * step;
      return two(Math.floor(start / 60)) + ":" + two(start % 60);
    }
    function clearMarks(day) {
      day.classList.remove("drop-target");
      day.querySelectorAll(".week-hour").forEach(function (hour) {
        hour.classList.remove("drop-target");
        hour.removeAttribute("data-drop");
      });
    }
    document.querySelectorAll(".week-day[data-day]").forEach(function (day) {
      day.addEventListener("dragover", function (event) {
        if (!dragged) return;
        event.preventDefault();
        clearMarks(day);
        var hour = event.target.closest && event.target.closest(".week-hour");
        if (hour) {
          hour.classList.add("drop-target");
          hour.setAttribute("data-drop", dropTime(hour, event) || "");
        } else {
          day.classList.add("drop-target");
        }
      });
      day.addEventListener("dragleave", function (event) {
        if (!day.contains(event.relatedTarget)) clearMarks(day);
      });
      day.addEventListener("drop", function (event) {
        clearMarks(day);
        if (!dragged) return;
        event.preventDefault();
        var hour = event.target.closest && event.target.closest(".week-hour");
        var time = hour ? dropTime(hour, event) : dragged.getAttribute("data-time");
        var sameDay = dragged.closest(".week-day") === day;
        // Dropped where it is: nothing moves.
        if (!time || (sameDay && time === dragged.getAttribute("data-time"))) return;
        poster.setAttribute("action", dragged.getAttribute("data-move-url"));
        poster.querySelector("[name=day]").value = day.getAttribute("data-day");
        poster.querySelector("[name=time]").value = time;
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
