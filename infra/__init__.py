"""CDK stack of the serverless CSMS: one construct per capability, composed in ``infra.stack``."""
