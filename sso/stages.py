"""allauth's TOTP login stage, aware of an organisation's "trust the identity provider's MFA".

allauth runs the same login stages for social sign-ins as for passwords, so an SSO sign-in of a
user with TOTP is asked for the code again. Where the organisation says its identity provider
enforces MFA, that second ask is skipped; otherwise (the default) the code is asked as usual.
"""

from __future__ import annotations

from allauth.mfa.stages import AuthenticateStage as MfaAuthenticateStage
from django.http import HttpRequest

from sso.adapter import trusts_idp_mfa


class AuthenticateStage(MfaAuthenticateStage):
    def _should_handle(self, request: HttpRequest) -> bool:
        if trusts_idp_mfa(self.login.signal_kwargs):
            return False
        return super()._should_handle(request)
