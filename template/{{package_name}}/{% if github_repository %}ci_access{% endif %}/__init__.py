"""The CI access component: what lets GitHub Actions deploy, with no stored AWS keys."""
