// The SSO settings page (templates/sso/settings.html): show only the fieldset of the protocol
// chosen in the radio above it, so that an admin does not wonder which of the two to fill in.
// Loaded with defer (the Content-Security-Policy allows no inline script). Without JavaScript
// both fieldsets show, and a hidden one is still submitted, so nothing typed in it is lost.
(function () {
  "use strict";

  function start() {
    var form = document.querySelector("form.sso-form");
    if (!form) {
      return;
    }
    var radios = form.querySelectorAll('input[type="radio"][name="protocol"]');
    var groups = form.querySelectorAll("fieldset[data-sso-protocol]");

    function update() {
      var checked = form.querySelector('input[type="radio"][name="protocol"]:checked');
      groups.forEach(function (group) {
        // A group holding an error stays in view: the error summary links to its field.
        var keep = !checked || group.dataset.ssoProtocol === checked.value;
        group.hidden = !keep && !group.querySelector(".has-error");
      });
    }

    radios.forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
