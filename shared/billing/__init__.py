"""Billing: tariffs (OCPI 2.2.1 shape), pricing into CDRs, invoices, ledger, wallets, subscriptions, payments.

Pure domain code over pydantic models with Decimal money; I/O sits behind the ports in
shared/billing/ports.py. See shared/billing/README.md for the rules and the workflows.
"""
