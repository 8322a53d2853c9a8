/* A quiz attempt's page: the countdown to the server's deadline (spoken in a polite live region at a few moments,
   and the form submitted when it reaches zero), and autosave — the page's form posted with fetch every 20 seconds
   when something changed, and with navigator.sendBeacon when the page is hidden or left, so a closed tab or a lost
   connection loses at most a few seconds. Without JavaScript the buttons save and move, and the server still
   enforces the deadline. Words come from data attributes (translated by the templates). */
(function () {
  "use strict";

  function format(seconds) {
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return h ? h + ":" + two(m) + ":" + two(s) : m + ":" + two(s);
  }

  function words(element, name, number, fallback) {
    var text = element.getAttribute("data-" + name) || fallback;
    return text.replace("{n}", String(number));
  }

  // --- the timer -----------------------------------------------------------------------------------------------
  var MOMENTS = [3600, 1800, 900, 600, 300, 120, 60, 30, 10]; // spoken when the time left reaches each of them

  function startTimer(timer) {
    var left0 = parseInt(timer.getAttribute("data-seconds-left"), 10);
    if (isNaN(left0)) { return; }
    var started = Date.now();
    var text = timer.querySelector("[data-quiz-timer-text]");
    var live = timer.querySelector("[data-quiz-timer-live]");
    var spokenAt = null;
    var finished = false;

    function say(left) {
      if (!live) { return; }
      if (left >= 120) {
        live.textContent = words(timer, "minutes-text", Math.round(left / 60), "{n} minutes left");
      } else if (left >= 60) {
        live.textContent = words(timer, "minute-text", 1, "1 minute left");
      } else {
        live.textContent = words(timer, "seconds-text", left, "{n} seconds left");
      }
    }

    function tick() {
      var left = Math.max(0, left0 - Math.floor((Date.now() - started) / 1000));
      if (text) { text.textContent = format(left); }
      if (left <= 300) { timer.classList.add("quiz-timer-low"); }
      if (spokenAt === null) {
        spokenAt = left;
        say(left);
      } else {
        for (var i = 0; i < MOMENTS.length; i++) {
          if (left <= MOMENTS[i] && spokenAt > MOMENTS[i]) { spokenAt = left; say(MOMENTS[i]); break; }
        }
      }
      if (left === 0 && !finished) {
        finished = true;
        if (live) { live.textContent = timer.getAttribute("data-timeup-text") || "Time is up."; }
        var button = document.querySelector("[data-quiz-timeup]");
        if (button) {
          submitting = true;
          if (button.form && button.form.requestSubmit) { button.form.requestSubmit(button); } else { button.click(); }
        }
        return;
      }
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  // --- autosave ------------------------------------------------------------------------------------------------
  var submitting = false;

  function startAutosave(form) {
    var seconds = parseInt(form.getAttribute("data-autosave-seconds"), 10) || 20;
    var status = document.querySelector("[data-quiz-saved]");
    var changed = false;
    var sending = false;

    function payload() {
      var data = new FormData(form); // buttons are not in it: no "go", no "check"
      data.set("autosave", "1");
      return data;
    }

    function csrf() {
      var input = form.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    }

    function save() {
      if (!changed || sending || submitting) { return; }
      sending = true;
      changed = false;
      fetch(form.action, {
        method: "POST",
        body: payload(),
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf(), "Accept": "application/json" }
      }).then(function (response) {
        return response.json().then(function (answer) { return { status: response.status, answer: answer }; });
      }).then(function (result) {
        sending = false;
        if (result.status === 409 && result.answer.review_url) {
          submitting = true;
          window.location.assign(result.answer.review_url);
          return;
        }
        if (result.status !== 200) { changed = true; return; }
        var refused = Object.keys(result.answer.errors || {}).length;
        if (status) {
          status.textContent = refused
            ? (form.getAttribute("data-refused-text") || "Some answers were not saved: check them and try again.")
            : (form.getAttribute("data-saved-text") || "Saved at {time}").replace("{time}", result.answer.saved_at);
        }
      }).catch(function () {
        sending = false;
        changed = true; // offline for now: try again at the next turn
      });
    }

    function beacon() {
      if (!changed || submitting || !navigator.sendBeacon) { return; }
      if (navigator.sendBeacon(form.action, payload())) { changed = false; }
    }

    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("change", function () { changed = true; });
    form.addEventListener("submit", function () { submitting = true; });
    window.setInterval(save, seconds * 1000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { beacon(); }
    });
    window.addEventListener("pagehide", beacon);
  }

  function init() {
    var timers = document.querySelectorAll("[data-quiz-timer]");
    for (var i = 0; i < timers.length; i++) { startTimer(timers[i]); }
    var form = document.querySelector("form.quiz-attempt[data-quiz-form]");
    if (form) { startAutosave(form); }
    var summaryForm = document.querySelector("form[data-quiz-submit]");
    if (summaryForm) { summaryForm.addEventListener("submit", function () { submitting = true; }); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
