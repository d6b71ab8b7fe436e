"""A real SAML 2.0 identity provider for the tests (pysaml2, signing through Debian's xmlsec1),
run as a separate local server process: ``tests.sso.idp.server``, started by ``running_idp``."""
