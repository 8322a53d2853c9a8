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
    // Trix re-reads its own editor's HTML (after an unexpected DOM change, e.g. when an image is attached) by
    // sanitising it with DOMPurify and assigning the result to a hidden <div> of *this* document with innerHTML.
    // While an attachment is selected, its caption editor carries inline styles that Trix set through the CSSOM
    // (figcaption display:none, the textarea's autoresize height); parsed back from HTML they become style=""
    // attributes, which `style-src 'self'` refuses (one console error each). Dropping them in DOMPurify loses
    // nothing: none of the formats we use is stored as a style, and the server's sanitiser drops style anyway.
    if (config.dompurify) {
      config.dompurify.FORBID_ATTR = (config.dompurify.FORBID_ATTR || []).concat(["style"]);
    }
  });

  document.addEventListener("trix-initialize", function (event) {
    const editor = event.target;
    if (!editor.getAttribute("data-upload-url")) {
      const tools = editor.toolbarElement && editor.toolbarElement.querySelector("[data-trix-button-group=file-tools]");
      if (tools) tools.hidden = true;
    }
    if (editor.toolbarElement) setUpToolbar(editor, editor.toolbarElement);
  });

  // --- the toolbar, by keyboard -------------------------------------------------------------------------------
  // Trix gives every button tabindex=-1 and acts on mousedown only, so its toolbar cannot be reached or used
  // without a mouse. Make its row of buttons an ARIA toolbar with a roving tabindex (one Tab stop; Left/Right,
  // Home/End move; Enter/Space press the button, through the same mousedown Trix listens to).
  function usable(button) {
    return !button.disabled && !button.closest("[hidden]");
  }

  function setUpToolbar(editor, toolbar) {
    const row = toolbar.querySelector(".trix-button-row");
    if (!row || row.hasAttribute("role")) return;
    row.setAttribute("role", "toolbar");
    row.setAttribute("aria-label", toolbar.getAttribute("data-label") || "Formatting");
    row.setAttribute("aria-controls", editor.id);
    const buttons = function () { return Array.from(row.querySelectorAll("button")); };
    const linkButton = row.querySelector("[data-trix-attribute=href]");
    if (linkButton) linkButton.setAttribute("aria-haspopup", "dialog");

    // Exactly one usable button is in the Tab order: the last one used, else the first usable one.
    function keepOneStop() {
      const all = buttons();
      let stop = all.find(function (button) { return button.tabIndex === 0 && usable(button); });
      if (!stop) stop = all.find(usable);
      for (const button of all) button.tabIndex = button === stop ? 0 : -1;
    }

    // Toggle buttons say whether their format applies where the cursor is (Trix marks them .trix-active).
    function mirrorState() {
      for (const button of row.querySelectorAll("[data-trix-attribute]")) {
        if (button === linkButton) continue;
        button.setAttribute("aria-pressed", button.classList.contains("trix-active") ? "true" : "false");
      }
    }

    function moveTo(button) {
      for (const other of buttons()) other.tabIndex = other === button ? 0 : -1;
      button.focus();
    }

    row.addEventListener("keydown", function (event) {
      const button = event.target.closest("button");
      if (!button || event.altKey || event.ctrlKey || event.metaKey) return;
      const list = buttons().filter(usable);
      const index = list.indexOf(button);
      let target = null;
      if (event.key === "ArrowRight") target = list[(index + 1) % list.length];
      else if (event.key === "ArrowLeft") target = list[(index - 1 + list.length) % list.length];
      else if (event.key === "Home") target = list[0];
      else if (event.key === "End") target = list[list.length - 1];
      else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        // As with a mouse, where the focus never leaves the text (Trix cancels the mousedown): Trix keeps its
        // selection in step with the focused editor, and a late "focus" would close the link dialog just opened.
        editor.focus();
        // A trusted keydown carries the user activation the "attach files" picker (input.click()) needs.
        button.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, cancelable: true, view: window }));
        return;
      } else {
        return;
      }
      event.preventDefault();
      if (target) moveTo(target);
    });
    row.addEventListener("focusin", function (event) {
      const button = event.target.closest("button");
      if (button) for (const other of buttons()) other.tabIndex = other === button ? 0 : -1;
    });
    // Trix disables buttons (undo, redo, indent...) as the cursor moves, and marks the active formats.
    new MutationObserver(function () {
      keepOneStop();
      mirrorState();
    }).observe(row, { subtree: true, attributes: true, attributeFilter: ["disabled", "class", "hidden"] });
    keepOneStop();
    mirrorState();

    // Alt+F10 in the editor goes to the toolbar (the shortcut other editors use).
    editor.addEventListener("keydown", function (event) {
      if (event.key === "F10" && event.altKey) {
        const stop = buttons().find(function (button) { return button.tabIndex === 0; });
        if (stop) {
          event.preventDefault();
          stop.focus();
        }
      }
    });

    // The link dialog: a named group; its field and buttons are in the Tab order (Trix leaves them there). Escape
    // anywhere in it closes it, not only in the address field, and the focus goes back to the editor.
    const dialog = toolbar.querySelector("[data-trix-dialog=href]");
    if (dialog) {
      dialog.setAttribute("role", "group");
      dialog.setAttribute("aria-label", toolbar.getAttribute("data-link-label") || "Link");
      const input = dialog.querySelector("[data-trix-input]");
      if (input && toolbar.getAttribute("data-link-address-label")) {
        input.setAttribute("aria-label", toolbar.getAttribute("data-link-address-label"));
      }
      dialog.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && event.target !== input && linkButton) {
          event.preventDefault();
          linkButton.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, cancelable: true, view: window }));
        }
      });
    }
  }

  // Tab and Shift+Tab leave the editor, as in any other field of the form: Trix would otherwise use them to
  // indent and outdent list items, so that Shift+Tab in a list removes its bullet instead of reaching the toolbar.
  // The toolbar's "Increase Level" and "Decrease Level" buttons do that. Captured on the document, before Trix's
  // own listener on the editor sees the key.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Tab" || event.ctrlKey || event.altKey || event.metaKey) return;
    if (event.target instanceof Element && event.target.localName === "trix-editor") event.stopPropagation();
  }, true);

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
