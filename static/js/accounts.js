// Account pages: focus the form's error summary after a full-page submit, and copy buttons.
// Loaded with defer (the Content-Security-Policy allows no inline script); without JavaScript
// the summary still sits at the top of the form and the link can be selected by hand.
(function () {
  "use strict";

  // After a submit that failed, move focus (and so the screen reader and the scroll position)
  // to the summary at the top of the form, instead of leaving the errors below the fold.
  function focusErrorSummary(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  // Copy buttons are hidden until this script runs, since without it they could do nothing.
  function wireCopyButtons(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy-target"));
      if (!field || button.dataset.copyWired) {
        return;
      }
      button.dataset.copyWired = "1";
      button.hidden = false;
      var label = button.textContent;
      button.addEventListener("click", function () {
        field.select();
        var done = function () {
          button.textContent = "Copied";
          window.setTimeout(function () { button.textContent = label; }, 2000);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(field.value).then(done, function () {
            document.execCommand("copy");
            done();
          });
        } else {
          document.execCommand("copy");
          done();
        }
      });
    });
  }

  function init() {
    focusErrorSummary(document);
    wireCopyButtons(document);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  // A form swapped in by htmx with errors gets the same treatment.
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.target);
    wireCopyButtons(event.target);
  });
})();
