"""The network component: the VPC every other component runs in, and the public load
balancer that components put in front of their services."""
