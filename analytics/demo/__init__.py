"""A deterministic demo data set: a simulated company's NHI sources in native formats.

:func:`write_demo` draws an organisation from a seed (people, service accounts, CI bots, AI
agents, their keys, policies and leaks), writes what its tools would export (CloudTrail
delivery files, the IAM credential report and authorization details, GitHub secret-scanning
alerts, gitleaks and TruffleHog reports, inventory CSV files, the agents' tool-gateway
logs and sandbox policies) and records in ``planted.json`` what a correct analysis should
find. See ``docs/demo-data.md``.
"""

from analytics.demo.writer import write_demo

__all__ = ["write_demo"]
