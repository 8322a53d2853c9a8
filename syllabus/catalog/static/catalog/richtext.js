/* The rich-text editor (catalog/richtext.py): turns each [data-richtext] textarea into a Trix editor.

   Load before vendor/trix/trix.umd.min.js (both deferred, so they run in order): Trix 2 injects its default
   element styles as an inline <style> element when its script runs, which the CSP (`style-src 'self'`) refuses
   with a console error. The same rules ship in catalog/richtext.css, so that one injection is swallowed here. */
(function () {
  "use strict";

  // Once per page, even if two forms each bring the editor's scripts.
  if (window.syllabusRichText) return;
  window.syllabusRichText = true;

  const head = document.head;
  const insertBefore = head.insertBefore;
  head.insertBefore = function (node, reference) {
    if (node instanceof HTMLStyleElement && (node.getAttribute("data-tag-name") || "").startsWith("trix-")) {
      return node;
    }
    return insertBefore.call(this, node, reference);
  };
  document.addEventListener("DOMContentLoaded", function () {
    delete head.insertBefore; // Trix has run by now: back to the prototype's method.
  });

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function statusOf(editor) {
    const wrapper = editor.closest("[data-richtext]");
    return wrapper ? wrapper.querySelector("[data-richtext-status]") : null;
  }

  function say(editor, message) {
    const status = statusOf(editor);
    if (status) status.textContent = message;
  }

  // Configure Trix once, before the first editor initialises.
  let configured = false;
  document.addEventListener("trix-before-initialize", function () {
    if (configured || !window.Trix) return;
    configured = true;
    const config = window.Trix.config;
    // The page title is the <h1>: headings in a body start at h2 (the sanitiser drops <h1>).
    config.blockAttributes.heading1.tagName = "h2";
    // An image is its own caption: no file name and size under it.
    config.attachments.preview.caption = { name: false, size: false };
  });

  document.addEventListener("trix-initialize", function (event) {
    const editor = event.target;
    if (!editor.getAttribute("data-upload-url")) {
      const tools = editor.toolbarElement && editor.toolbarElement.querySelector("[data-trix-button-group=file-tools]");
      if (tools) tools.hidden = true;
    }
  });

  // Files are uploaded *before* they enter the text: Trix would otherwise preview them from a blob: URL, which
  // the CSP (img-src 'self' data:) refuses. Once stored, the image goes in with its asset URL.
  document.addEventListener("trix-file-accept", function (event) {
    const editor = event.target;
    event.preventDefault();
    if (!editor.getAttribute("data-upload-url")) {
      say(editor, editor.getAttribute("data-upload-unavailable"));
    } else if (!/^image\/(png|jpeg|gif|webp)$/.test(event.file.type)) {
      say(editor, editor.getAttribute("data-upload-refused"));
    } else {
      upload(editor, event.file);
    }
  });

  function upload(editor, file) {
    say(editor, (editor.getAttribute("data-uploading") || "%s").replace("%s", file.name));
    const form = new FormData();
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", editor.getAttribute("data-upload-url"), true);
    request.setRequestHeader("X-CSRFToken", csrfToken());
    request.setRequestHeader("Accept", "application/json");
    request.addEventListener("load", function () {
      let body = {};
      try {
        body = JSON.parse(request.responseText);
      } catch (error) {
        body = {};
      }
      if (request.status === 201 && body.url) {
        const attachment = new window.Trix.Attachment({
          url: body.url,
          contentType: body.content_type,
          filename: file.name,
          filesize: file.size,
        });
        editor.editor.insertAttachment(attachment);
        say(editor, "");
      } else {
        say(editor, body.error || editor.getAttribute("data-upload-failed"));
      }
    });
    request.addEventListener("error", function () {
      say(editor, editor.getAttribute("data-upload-failed"));
    });
    request.send(form);
  }

  // Swap the textarea for the editor; labels follow, so the editor gets the field's accessible name.
  function enhance(wrapper) {
    const source = wrapper.querySelector("[data-richtext-source]");
    const editor = wrapper.querySelector("trix-editor");
    const toolbar = wrapper.querySelector("trix-toolbar");
    if (!source || !editor || wrapper.hasAttribute("data-richtext-ready")) return;
    wrapper.setAttribute("data-richtext-ready", "");
    // aria-labelledby as well: Chromium does not name a form-associated custom element from its <label>, and
    // Trix only copies the label into aria-label on focus.
    const labelIds = [];
    for (const label of document.querySelectorAll("label[for='" + source.id + "']")) {
      label.htmlFor = editor.id;
      if (!label.id) label.id = editor.id + "_label";
      labelIds.push(label.id);
    }
    if (labelIds.length && !editor.hasAttribute("aria-labelledby")) {
      editor.setAttribute("aria-labelledby", labelIds.join(" "));
    }
    source.hidden = true;
    editor.hidden = false;
    if (toolbar) toolbar.hidden = false;
  }

  function enhanceAll(root) {
    for (const wrapper of root.querySelectorAll("[data-richtext]")) enhance(wrapper);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  } else {
    enhanceAll(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { enhanceAll(event.target); });
})();
