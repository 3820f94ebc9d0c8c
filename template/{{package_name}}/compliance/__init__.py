"""What the security gates ask of every component, in one place: cdk-nag acknowledgements and
IAM wildcard allowances (nag), the compliance packs (packs), exceptions to checkov and cfn-lint
(scanners), and log groups with their retention and encryption (log_groups)."""
