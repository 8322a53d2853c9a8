/* Time spent on an activity: while the activity's tab is visible, say "still here" every few seconds.

   The server adds the time since the previous beat (capped), so a beat lost or a tab left in the background
   never inflates the total. The answer carries the learner's progress, which updates the outline's progress bar
   and the current activity's state.

   The same update is offered to the activities' own scripts as window.SyllabusProgress.show(answer): a completion
   signal's answer (catalog:activity-signal) carries the progress in the same shape under "progress", so a video
   watched shows in the outline at once rather than at the next beat. */
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // `body`: {percent, percent_text, completed, state, state_label, state_icon, activity}; `uid` defaults to
  // body.activity (the activity the answer is about).
  function showProgress(body, uid) {
    if (!body) return;
    uid = uid || body.activity;
    const bar = document.querySelector("[data-player-progress-bar]");
    if (bar && typeof body.percent === "number") {
      bar.value = body.percent;
      bar.setAttribute("aria-valuenow", String(body.percent));
      bar.textContent = body.percent + "%";
      const text = document.querySelector("[data-player-progress-text]");
      if (text && body.percent_text) text.textContent = body.percent_text;
    }
    const done = document.querySelector("[data-player-completed]");
    if (done && body.completed) done.hidden = false;
    if (!body.state || !body.state_label) return;
    for (const item of document.querySelectorAll("[data-activity-uid]")) {
      if (item.getAttribute("data-activity-uid") !== uid) continue;
      item.className = item.className.replace(/player-state-[a-z_]+/, "player-state-" + body.state);
      const label = item.querySelector("[data-state-label]");
      if (label) label.textContent = body.state_label;
      const icon = item.querySelector("[data-state-icon]");
      if (icon && body.state_icon) icon.textContent = body.state_icon;
    }
  }

  window.SyllabusProgress = Object.freeze({ show: showProgress });

  function start(article) {
    const url = article.getAttribute("data-heartbeat-url");
    const uid = article.getAttribute("data-heartbeat-activity");
    const seconds = parseInt(article.getAttribute("data-heartbeat-seconds") || "30", 10);
    if (!url || !uid || !(seconds > 0)) return;

    function beat() {
      if (document.visibilityState !== "visible") return;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ activity: uid }),
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) { if (body) showProgress(body, uid); })
        .catch(function () { /* the next beat counts the time */ });
    }

    // The first beat starts the clock; no beat is sent while the tab is hidden or as it closes (the few seconds
    // since the last beat are not worth a request racing the page's unload).
    beat();
    window.setInterval(beat, seconds * 1000);
  }

  function init() {
    const article = document.querySelector("[data-heartbeat-url]");
    if (article) start(article);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
