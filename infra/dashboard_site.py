"""The operator dashboard: ``web/`` in the private dashboard bucket behind CloudFront (origin access
control), with the ``config.json`` the app reads at start generated here (API URL, Cognito hosted UI).

The files are deployed as they are in the repository (the app has no build step) by a
``BucketDeployment``, which also invalidates CloudFront so a deploy shows at once. Responses carry a
content security policy: scripts and styles only from the dashboard itself, API calls only to API
Gateway and Cognito in the stack's region (see ``content_security_policy``).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, DefaultStackSynthesizer, Duration, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.bundling import PROJECT_ROOT
from infra.log_groups import log_group
from infra.nag import acknowledge, arn_token

INDEX_DOCUMENT = "index.html"
CONFIG_FILE = "config.json"
WEB_ROOT = PROJECT_ROOT / "web"
WEB_EXCLUDES = ("README.md", "vendor/vendor.sh", CONFIG_FILE)
"""In web/ for developers, not for browsers (config.json is generated, never taken from the folder)."""
HOSTED_UI_SCOPES = ("openid", "email", "profile")
HSTS_MAX_AGE = Duration.days(365)


def content_security_policy(region: str = Aws.REGION, url_suffix: str = Aws.URL_SUFFIX) -> str:
    """The local platform sends the same policy with ``connect-src 'self'`` (static_site.py).

    connect-src names the API and Cognito by region wildcard, not by their exact hosts: the
    distribution is created before the API (whose CORS allow-list needs the distribution's domain),
    so naming the API's id here would make a dependency cycle.
    """
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' https://*.execute-api.{region}.{url_suffix} "
        f"https://*.auth.{region}.amazoncognito.com; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )


def runtime_config(*, api_base_url: str, hosted_ui_url: str, client_id: str) -> dict[str, Any]:
    """``config.json`` as web/app/config.js reads it (values may be deploy-time tokens)."""
    return {
        "apiBaseUrl": api_base_url,
        "auth": {
            "mode": "cognito",
            "domain": hosted_ui_url,
            "clientId": client_id,
            "scopes": list(HOSTED_UI_SCOPES),
        },
    }


class DashboardSite(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, log_bucket: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = bucket
        self.response_headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="CSMS dashboard: CSP, HSTS and the usual security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
                ),
            ),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="CSMS operator dashboard",
            default_root_object=INDEX_DOCUMENT,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.response_headers,
            ),
            # A single-page app routes in the browser: unknown paths serve the app, not an S3 error.
            error_responses=[
                cloudfront.ErrorResponse(
                    http_status=status,
                    response_http_status=200,
                    response_page_path=f"/{INDEX_DOCUMENT}",
                    ttl=Duration.seconds(0),
                )
                for status in (403, 404)
            ],
            enable_logging=True,
            log_bucket=log_bucket,
            log_file_prefix="cloudfront/dashboard/",
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        self.origin = f"https://{self.distribution.distribution_domain_name}"
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The dashboard serves static files only; operators work from anywhere and every API call "
            "behind it needs a Cognito JWT, so no country is blocked by default.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "Static, public application files with no server-side logic behind this distribution; the "
            "API it calls is JWT-protected and throttled. A WAF would add cost without protecting data.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR4",
            "The dashboard uses CloudFront's default *.cloudfront.net certificate, whose TLS policy "
            "cannot be raised; put it behind a custom domain with TLSv1.2_2021 when one is available.",
        )

    def deploy(self, *, api_base_url: str, hosted_ui_url: str, client_id: str) -> s3deploy.BucketDeployment:
        """Uploads web/ and the generated config.json, then invalidates the distribution.

        Every object is ``Cache-Control: no-cache``: file names carry no content hash (no build step),
        so browsers revalidate (an ETag round trip) instead of running yesterday's module.
        """
        deployment = s3deploy.BucketDeployment(
            self,
            "Files",
            destination_bucket=self.bucket,
            sources=[
                s3deploy.Source.asset(str(WEB_ROOT), exclude=list(WEB_EXCLUDES)),
                s3deploy.Source.json_data(
                    CONFIG_FILE,
                    runtime_config(
                        api_base_url=api_base_url, hosted_ui_url=hosted_ui_url, client_id=client_id
                    ),
                ),
            ],
            cache_control=[s3deploy.CacheControl.no_cache()],
            distribution=self.distribution,
            distribution_paths=["/*"],
            log_group=log_group(self, "DeploymentLogs"),
            output_object_keys=False,  # not used, and a long list would overflow the custom resource's answer
        )
        self._acknowledge_deployment_handler()
        return deployment

    def _acknowledge_deployment_handler(self) -> None:
        """The upload runs in CDK's singleton Lambda, created at stack level rather than under this
        construct; its findings are acknowledged one by one (granular ids), each with its reason."""
        assets = f"cdk-{DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-<AWS::AccountId>-<AWS::Region>"
        reasons = {
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]": "CDK's BucketDeployment handler writes its logs with the "
            "basic execution role; it runs while deploying, never on a request path.",
            f"AwsSolutions-IAM5[Resource::{arn_token(self.bucket)}/*]": "The handler syncs the whole "
            "dashboard folder into the dashboard bucket (with pruning): every object in it, no other bucket.",
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{assets}/*]": "The handler reads the "
            "dashboard's asset zips from the CDK bootstrap asset bucket.",
            "AwsSolutions-IAM5[Resource::*]": "cloudfront:CreateInvalidation/GetInvalidation, granted by CDK "
            "on *, to invalidate the dashboard distribution after a deploy.",
            "AwsSolutions-L1": "The BucketDeployment handler's runtime is chosen by aws-cdk-lib and moves "
            "with its version; it runs only while deploying the dashboard's files.",
            **{
                f"AwsSolutions-IAM5[Action::{action}]": "CDK's grant for an S3 sync (read, write, prune "
                "and abort multipart uploads), limited to the two buckets above."
                for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:Abort*", "s3:DeleteObject*")
            },
        }
        stack = Stack.of(self)
        for child in stack.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                for rule_id, reason in reasons.items():
                    acknowledge(child, rule_id, reason)
