// What every page does (templates/base.html): the navigation's menu button on narrow screens, its
// drop-down menus, and a confirmation before any destructive form is submitted. No inline script:
// the page runs under a strict Content-Security-Policy. Without JavaScript the navigation stacks
// and forms submit directly, so nothing here is needed to use the product.
(function () {
  "use strict";

  // -- Navigation -----------------------------------------------------------------------------
  function setUpNavigation() {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (!toggle || !nav) return;
    document.documentElement.classList.add("has-nav-toggle");
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    });
  }

  // One drop-down open at a time; a click elsewhere or Escape closes it, as menus do.
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("click", function (event) {
    var menu = event.target.closest ? event.target.closest("details.menu") : null;
    closeMenus(menu);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.menu[open]");
    if (!open) return;
    open.removeAttribute("open");
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  // -- Confirmation of destructive actions -----------------------------------------------------
  // <form data-confirm="Merge X into Y? Its ratings move to Y." data-confirm-button="Merge">: the
  // form is submitted (by a plain submit or by htmx, which listens further down) only once the
  // dialog is confirmed. The listener runs in the capture phase on the document, before htmx's.
  var dialog = null;

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-message");
    var message = document.createElement("p");
    message.id = "confirm-dialog-message";
    var actions = document.createElement("form");
    actions.method = "dialog";
    actions.className = "confirm-actions";
    var cancel = document.createElement("button");
    cancel.type = "submit";
    cancel.value = "cancel";
    cancel.className = "button secondary";
    cancel.textContent = "Cancel";
    var confirm = document.createElement("button");
    confirm.type = "submit";
    confirm.value = "confirm";
    confirm.className = "danger";
    actions.append(cancel, confirm);
    dialog.append(message, actions);
    document.body.append(dialog);
    return dialog;
  }

  function ask(form, submitter) {
    var d = dialog || buildDialog();
    d.querySelector("#confirm-dialog-message").textContent = form.dataset.confirm;
    var confirmButton = d.querySelector("button[value=confirm]");
    confirmButton.textContent = form.dataset.confirmButton || "Confirm";
    d.returnValue = "";
    d.addEventListener(
      "close",
      function () {
        if (d.returnValue !== "confirm") return;
        form.dataset.confirmed = "yes";
        if (submitter && submitter.form === form) form.requestSubmit(submitter);
        else form.requestSubmit();
      },
      { once: true }
    );
    d.showModal();
    // Cancel is the default: Enter on an unread dialog must not destroy anything.
    d.querySelector("button[value=cancel]").focus();
  }

  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
      if (form.dataset.confirmed === "yes") {
        delete form.dataset.confirmed;
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      ask(form, event.submitter);
    },
    true
  );

  // -- Boxes that scroll sideways (wide tables on a phone, the matrix) ----------------------------
  // A region that scrolls must be reachable by keyboard (WCAG 2.1.1): when it overflows, it joins
  // the tab order; when it fits again, it leaves.
  function markScrollRegions() {
    document.querySelectorAll("table.table, .table-scroll, .matrix-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollRegion = "yes";
      } else if (!scrolls && box.dataset.scrollRegion === "yes") {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollRegion;
      }
    });
  }

  function start() {
    setUpNavigation();
    markScrollRegions();
    window.addEventListener("resize", markScrollRegions);
    document.addEventListener("htmx:afterSettle", markScrollRegions);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
