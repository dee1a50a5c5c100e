"""Alerts: subscriptions, matching, delivery channels and digests.

It matches new documents and signals to subscriptions and delivers them through
an outbox so that nothing is lost and nothing is sent twice. (Filled in by the
alerts issue.)
"""
