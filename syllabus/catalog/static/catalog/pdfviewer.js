/* A small PDF viewer on the vendored pdf.js (vendor/pdfjs): one page at a time on a canvas, previous/next, page
   number, zoom, keyboard (arrows, Page Up/Down, Home/End, + and -), the page's text for screen readers, and the
   download link of the template. Works under the site's CSP: no eval (isEvalSupported: false), the worker is a
   same-origin module script (worker-src falls back to script-src 'self'), styles are set through the CSSOM. */

const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];

function setup(root) {
  if (root.hasAttribute("data-pdf-ready")) return;
  root.setAttribute("data-pdf-ready", "");
  const toolbar = root.querySelector("[data-pdf-toolbar]");
  const region = root.querySelector("[data-pdf-region]");
  const canvas = root.querySelector("[data-pdf-canvas]");
  const text = root.querySelector("[data-pdf-text]");
  const status = root.querySelector("[data-pdf-status]");
  const pageInput = root.querySelector("[data-pdf-page]");
  const count = root.querySelector("[data-pdf-count]");
  const zoomLabel = root.querySelector("[data-pdf-zoom]");
  const prev = root.querySelector("[data-pdf-prev]");
  const next = root.querySelector("[data-pdf-next]");
  const pageLabel = root.getAttribute("data-page-label") || "%(page)s / %(pages)s";
  let pdf = null;
  let pageNumber = 1;
  let zoomIndex = ZOOMS.indexOf(1);
  let task = null;
  let queued = false;

  function label(page) {
    return pageLabel.replace("%(page)s", String(page)).replace("%(pages)s", String(pdf ? pdf.numPages : "?"));
  }

  async function render() {
    if (!pdf) return;
    if (task) {
      queued = true;
      return;
    }
    const page = await pdf.getPage(pageNumber);
    const natural = page.getViewport({ scale: 1 });
    // 100% is "fit the width of the viewer"; zoom multiplies that.
    const box = window.getComputedStyle(region);
    const available = Math.max(
      200,
      region.clientWidth - parseFloat(box.paddingLeft || "0") - parseFloat(box.paddingRight || "0"),
    );
    const scale = (available / natural.width) * ZOOMS[zoomIndex];
    const viewport = page.getViewport({ scale: scale });
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = Math.floor(viewport.width) + "px";
    canvas.style.height = Math.floor(viewport.height) + "px";
    task = page.render({ canvas: canvas, viewport: viewport, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null });
    try {
      await task.promise;
    } catch (error) {
      if (!error || error.name !== "RenderingCancelledException") throw error;
    } finally {
      task = null;
    }
    canvas.setAttribute("aria-label", label(pageNumber));
    const content = await page.getTextContent();
    text.textContent = content.items.map(function (item) { return item.str + (item.hasEOL ? "\n" : ""); }).join(" ");
    pageInput.value = String(pageNumber);
    prev.disabled = pageNumber <= 1;
    next.disabled = pageNumber >= pdf.numPages;
    zoomLabel.textContent = Math.round(ZOOMS[zoomIndex] * 100) + "%";
    root.setAttribute("data-pdf-rendered", String(pageNumber));
    if (queued) {
      queued = false;
      render();
    }
  }

  function go(number) {
    if (!pdf) return;
    const target = Math.min(Math.max(1, number), pdf.numPages);
    if (target !== pageNumber) {
      pageNumber = target;
      render();
    } else {
      pageInput.value = String(pageNumber);
    }
  }

  function zoom(step) {
    const target = Math.min(Math.max(0, zoomIndex + step), ZOOMS.length - 1);
    if (target !== zoomIndex) {
      zoomIndex = target;
      render();
    }
  }

  prev.addEventListener("click", function () { go(pageNumber - 1); });
  next.addEventListener("click", function () { go(pageNumber + 1); });
  root.querySelector("[data-pdf-zoom-in]").addEventListener("click", function () { zoom(1); });
  root.querySelector("[data-pdf-zoom-out]").addEventListener("click", function () { zoom(-1); });
  pageInput.addEventListener("change", function () { go(parseInt(pageInput.value, 10) || 1); });
  region.addEventListener("keydown", function (event) {
    const keys = {
      ArrowRight: function () { go(pageNumber + 1); },
      PageDown: function () { go(pageNumber + 1); },
      ArrowLeft: function () { go(pageNumber - 1); },
      PageUp: function () { go(pageNumber - 1); },
      Home: function () { go(1); },
      End: function () { go(pdf ? pdf.numPages : 1); },
      "+": function () { zoom(1); },
      "=": function () { zoom(1); },
      "-": function () { zoom(-1); },
    };
    const action = keys[event.key];
    if (action && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      action();
    }
  });
  let resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(render, 200);
  });

  (async function () {
    try {
      const pdfjs = await import(root.getAttribute("data-lib"));
      pdfjs.GlobalWorkerOptions.workerSrc = root.getAttribute("data-worker");
      pdf = await pdfjs.getDocument({
        url: root.getAttribute("data-src"),
        isEvalSupported: false,
        enableXfa: false,
        standardFontDataUrl: root.getAttribute("data-fonts"),
      }).promise;
      count.textContent = "/ " + pdf.numPages;
      pageInput.max = String(pdf.numPages);
      toolbar.hidden = false;
      region.hidden = false;
      status.textContent = "";
      await render();
    } catch (error) {
      status.textContent = root.getAttribute("data-failed");
      toolbar.hidden = true;
      region.hidden = true;
    }
  })();
}

for (const root of document.querySelectorAll("[data-pdf-viewer]")) setup(root);
