/* The video player's watched intervals (catalog/activity_kinds/video): report what was really played.

   A stretch grows on `timeupdate` while the video plays at normal pace; a seek (or any jump larger than the
   elapsed time could explain) ends it and starts a new one at the new position, so jumping to the end watches
   nothing. Every report holds everything played since the page opened: the server takes the union, and a report
   it refuses is simply sent again later (the learner is told why, e.g. played too fast to count).

   The answer also carries the learner's progress in the course ("progress"), shown at once in the outline's
   progress bar and the activity's tick by the player's window.SyllabusProgress.show (progress/heartbeat.js). */
(function () {
  "use strict";

  const REPORT_EVERY_MS = 10000;
  const JUMP_TOLERANCE = 1.5; // seconds of media time beyond what the wall clock explains
  const MAX_INTERVALS = 500;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function merge(ranges) {
    const sorted = ranges.filter(function (r) { return r[1] > r[0]; }).sort(function (a, b) { return a[0] - b[0]; });
    const out = [];
    for (const range of sorted) {
      const last = out[out.length - 1];
      if (last && range[0] <= last[1]) {
        last[1] = Math.max(last[1], range[1]);
      } else {
        out.push([range[0], range[1]]);
      }
    }
    return out;
  }

  function round(value) {
    return Math.round(value * 100) / 100;
  }

  function track(video) {
    const url = video.getAttribute("data-signal-url");
    if (!url || video.hasAttribute("data-video-tracking")) return;
    video.setAttribute("data-video-tracking", "");
    const status = video.parentElement.querySelector("[data-video-progress]");
    const progressText = video.getAttribute("data-progress-text") || "%s%";
    if (status) {
      // A live region must be on the page before its text changes for screen readers to announce the change.
      status.setAttribute("role", "status");
      status.textContent = "";
      status.hidden = false;
    }
    let ranges = [];
    let current = null;
    let lastTime = 0;
    let lastWall = 0;
    let dirty = false;

    function begin() {
      current = [video.currentTime, video.currentTime];
      lastTime = video.currentTime;
      lastWall = performance.now();
    }

    function close() {
      if (current && current[1] > current[0]) {
        ranges.push(current);
        ranges = merge(ranges);
        dirty = true;
      }
      current = null;
    }

    video.addEventListener("playing", function () {
      close();
      begin();
    });
    // Extend the stretch to the current position, unless the position jumped (then start a new stretch).
    function advance() {
      if (video.seeking || !current) return;
      const now = video.currentTime;
      const wall = performance.now();
      const explained = ((wall - lastWall) / 1000) * (video.playbackRate || 1);
      const step = now - lastTime;
      if (step < 0 || step > explained + JUMP_TOLERANCE) {
        close(); // a jump: what lies between was not watched
        begin();
      } else {
        current[1] = now;
        dirty = true;
      }
      lastTime = now;
      lastWall = wall;
    }

    video.addEventListener("timeupdate", function () {
      if (!video.paused) advance();
    });
    video.addEventListener("seeking", close);
    video.addEventListener("seeked", function () {
      if (!video.paused) begin();
    });
    video.addEventListener("pause", function () {
      advance(); // the last timeupdate may be up to a quarter of a second behind
      close();
      report(false);
    });
    video.addEventListener("ended", function () {
      advance();
      close();
      report(false);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") report(true);
    });
    window.addEventListener("pagehide", function () { report(true); });
    window.setInterval(function () {
      if (!video.paused) report(false);
    }, REPORT_EVERY_MS);

    function report(keepalive) {
      const duration = video.duration;
      if (!dirty || !isFinite(duration) || duration <= 0) return;
      const playing = current && current[1] > current[0] ? [current.slice()] : [];
      const intervals = merge(ranges.concat(playing))
        .map(function (r) { return [round(r[0]), round(Math.min(r[1], duration))]; })
        .filter(function (r) { return r[1] > r[0]; })
        .slice(0, MAX_INTERVALS);
      if (!intervals.length) return;
      dirty = false;
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive: keepalive,
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ signal: "progress", duration: round(duration), intervals: intervals }),
      })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) {
            dirty = true;
            return;
          }
          if (body.progress && window.SyllabusProgress) window.SyllabusProgress.show(body.progress);
          if (body.accepted === false) {
            dirty = true; // sent again with the next report
            if (status && body.message) status.textContent = body.message;
          } else if (status && typeof body.coverage === "number") {
            status.textContent = progressText.replace("%s", String(Math.floor(body.coverage)));
          }
        })
        .catch(function () { dirty = true; });
    }
  }

  function init() {
    for (const video of document.querySelectorAll("video[data-video-player]")) track(video);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
