"""Rules for k8s."""
