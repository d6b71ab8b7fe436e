// The email-first sign-in (sso.views): follow the link to the organisation's identity provider
// at once. A link rather than a redirect of the form's POST, which the page's CSP (form-action
// 'self') would block; without JavaScript the person clicks it.
document.addEventListener("DOMContentLoaded", () => {
  const link = document.querySelector("a[data-sso-continue]");
  if (link) {
    window.location.replace(link.href);
  }
});
