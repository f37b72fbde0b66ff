"""Cognito: operator identities, their tenant and their role, and the JWT authorizer built on them.

How tenant and role reach the operator API (``requestContext.authorizer.jwt.claims``):

* role: the user's Cognito groups, one per ``shared.catalog.ROLE_NAMES`` → ``cognito:groups``;
* tenant: the custom attribute ``tenant_id`` → ``custom:tenant_id``.

Cognito puts custom attributes in the ID token only (the access token would need a pre-token-
generation V2 trigger, which requires the Essentials/Plus feature plan and one more Lambda). So the
dashboard sends the **ID token** as the bearer token, and the HTTP API's JWT authorizer checks its
issuer (this pool), signature, expiry and audience (``aud`` = this app client's id). The app client
can read but never write ``custom:tenant_id``: only an administrator (``AdminUpdateUserAttributes``,
an IAM-authorised call) can move a user between tenants.

The dashboard signs operators in through Cognito's hosted UI with the authorization code grant and
PKCE (a public client: no secret); the only redirect it accepts is the dashboard's own address.
"""

from __future__ import annotations

import re

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk.aws_apigatewayv2_authorizers import HttpUserPoolAuthorizer
from constructs import Construct

from infra.constants import (
    ACCOUNT_SCOPE_ATTRIBUTE,
    ID_TOKEN_VALIDITY_MINUTES,
    PASSWORD_MIN_LENGTH,
    REFRESH_TOKEN_VALIDITY_HOURS,
    SITE_SCOPE_ATTRIBUTE,
    SITE_SCOPE_MAX_LENGTH,
    TENANT_ATTRIBUTE,
    USER_POOL_NAME,
)
from infra.nag import acknowledge
from infra.naming import pascal_case
from shared.catalog import ACCOUNT_SCOPE_CLAIMS, ROLE_NAMES, SITE_SCOPE_CLAIMS, TENANT_CLAIMS


def hosted_ui_domain_prefix(stack_name: str) -> str:
    """Cognito domain prefixes are unique per region across all accounts and may not contain "aws",
    "amazon" or "cognito": the stack name (lower-case, hyphens) plus the account id."""
    stem = re.sub(r"[^a-z0-9]+", "-", stack_name.lower()).strip("-")
    for reserved in ("aws", "amazon", "cognito"):
        stem = stem.replace(reserved, "")
    return Fn.join("-", [(stem.strip("-") or "csms")[:30], Aws.ACCOUNT_ID])


class OperatorIdentity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, dashboard_url: str) -> None:
        """``dashboard_url``: the dashboard's origin; the hosted UI returns there (``<url>/``)."""
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=USER_POOL_NAME,
            self_sign_up_enabled=False,  # administrators invite operators, into a tenant
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            custom_attributes={
                TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
                # The scope of a site- or account-scoped role; set by an administrator, like the tenant.
                SITE_SCOPE_ATTRIBUTE: cognito.StringAttribute(max_len=SITE_SCOPE_MAX_LENGTH, mutable=True),
                ACCOUNT_SCOPE_ATTRIBUTE: cognito.StringAttribute(max_len=100, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=PASSWORD_MIN_LENGTH,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "The Plus feature plan (threat protection) is billed per monthly active user; MFA is required "
            "and self sign-up disabled, so the Essentials plan is the default. Switch FeaturePlan.PLUS on "
            "when the operator count or risk warrants it.",
        )
        # The JWT contract of shared/api/auth.py: this attribute must be one of the claims it reads.
        for attribute, claims in (
            (TENANT_ATTRIBUTE, TENANT_CLAIMS),
            (SITE_SCOPE_ATTRIBUTE, SITE_SCOPE_CLAIMS),
            (ACCOUNT_SCOPE_ATTRIBUTE, ACCOUNT_SCOPE_CLAIMS),
        ):
            if f"custom:{attribute}" not in claims:
                raise ValueError(f"custom:{attribute} is not a claim the API reads: {claims}")
        for group in ROLE_NAMES:
            cognito.CfnUserPoolGroup(
                self,
                f"{pascal_case(group)}Group",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=group,
                description=f"Operator role '{group}' (cognito:groups claim)",
            )
        self.dashboard_client = self.user_pool.add_client(
            "DashboardClient",
            generate_secret=False,  # a browser app cannot keep a secret
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{dashboard_url}/"],
                logout_urls=[f"{dashboard_url}/"],
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.minutes(ID_TOKEN_VALIDITY_MINUTES),
            access_token_validity=Duration.minutes(ID_TOKEN_VALIDITY_MINUTES),
            refresh_token_validity=Duration.hours(REFRESH_TOKEN_VALIDITY_HOURS),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(TENANT_ATTRIBUTE, SITE_SCOPE_ATTRIBUTE, ACCOUNT_SCOPE_ATTRIBUTE),
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True, fullname=True),
        )
        self.hosted_ui = self.user_pool.add_domain(
            "HostedUi",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=hosted_ui_domain_prefix(Stack.of(self).stack_name)
            ),
        )

    def jwt_authorizer(self) -> HttpUserPoolAuthorizer:
        """Issuer = this pool, audience = the dashboard client (the ID token's ``aud``)."""
        return HttpUserPoolAuthorizer(
            "OperatorJwtAuthorizer",
            self.user_pool,
            user_pool_clients=[self.dashboard_client],
        )
