"""The network component: the VPC every other component runs in."""
