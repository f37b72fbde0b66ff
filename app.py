#!/usr/bin/env python3
"""Synthesizes the CSMS stack into cdk.out: ``python app.py`` or ``npx aws-cdk@2 synth``.

Needs neither AWS credentials nor Docker. Context values: see infra/README.md.
"""

from infra.application import create_app

if __name__ == "__main__":
    app, _ = create_app()
    app.synth()
