"""Rules for EC2 and VPC resources: launch templates, node groups' networking, security groups, endpoints."""
