"""CloudFront for the operator dashboard's static files (private bucket, origin access control)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge

INDEX_DOCUMENT = "index.html"


class DashboardSite(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, bucket: s3.IBucket, log_bucket: s3.IBucket
    ) -> None:
        super().__init__(scope, construct_id)
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="CSMS operator dashboard",
            default_root_object=INDEX_DOCUMENT,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
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
