"""DynamoDB: table definitions (the single source for CDK, the local platform and tests) and adapters."""
