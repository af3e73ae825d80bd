// The booking form: the end follows the start (keeping the visit's length), and choosing a
// kind of visit sets the end to the kind's usual length. Without JavaScript both fields are
// still typed by hand and checked by the server.
(function () {
  "use strict";
  function parse(value) {
    var match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || "");
    if (!match) return null;
    return new Date(Date.UTC(+match[1], match[2] - 1, +match[3], +match[4], +match[5]));
  }
  function format(date) {
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return date.getUTCFullYear() + "-" + two(date.getUTCMonth() + 1) + "-" + two(date.getUTCDate()) +
      "T" + two(date.getUTCHours()) + ":" + two(date.getUTCMinutes());
  }
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
