// The API tokens page: copy the new token with one button. The token is shown once, so the copy
// must be whole and certain; without JavaScript the button stays hidden and a click on the field
// selects the whole token for the keyboard's copy.
(function () {
  "use strict";

  function selectAll(field) {
    field.focus();
    field.select();
    field.setSelectionRange(0, field.value.length);
  }

  document.querySelectorAll("[data-token-secret]").forEach(function (field) {
    field.addEventListener("focus", function () { selectAll(field); });
    field.addEventListener("click", function () { selectAll(field); });
  });

  document.querySelectorAll("[data-copy-token]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy-token"));
    var status = button.closest(".token-secret").querySelector("[data-copy-status]");
    if (!field) { return; }
    button.hidden = false;

    function done(message) {
      if (status) { status.textContent = message; }
    }

    // Older browsers and plain-HTTP pages have no Clipboard API: fall back to the selection.
    function fallback() {
      selectAll(field);
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      done(copied ? "Copied." : "Press Ctrl+C (⌘C on a Mac) to copy the selected token.");
    }

    button.addEventListener("click", function () {
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(function () { done("Copied."); }, fallback);
      } else {
        fallback();
      }
    });
  });
})();
