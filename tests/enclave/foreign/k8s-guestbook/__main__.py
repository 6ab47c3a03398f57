"""The guestbook: a Redis leader and a PHP frontend behind a LoadBalancer Service."""

import pulumi
import pulumi_kubernetes as k8s

config = pulumi.Config()
replicas = int(config.get("replicas") or "1")

redis_labels = {"app": "redis", "role": "leader"}
k8s.apps.v1.Deployment(
    "redis-leader",
    spec={
        "selector": {"match_labels": redis_labels},
        "template": {
            "metadata": {"labels": redis_labels},
            "spec": {"containers": [{"name": "redis", "image": "redis:7", "ports": [{"container_port": 6379}]}]},
        },
    },
)
k8s.core.v1.Service(
    "redis-leader", metadata={"name": "redis-leader"}, spec={"ports": [{"port": 6379}], "selector": redis_labels}
)

frontend_labels = {"app": "guestbook", "tier": "frontend"}
k8s.apps.v1.Deployment(
    "frontend",
    spec={
        "replicas": replicas,
        "selector": {"match_labels": frontend_labels},
        "template": {
            "metadata": {"labels": frontend_labels},
            "spec": {
                "containers": [
                    {
                        "name": "php-redis",
                        "image": "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5",
                        "ports": [{"container_port": 80}],
                    }
                ]
            },
        },
    },
)
frontend = k8s.core.v1.Service(
    "frontend",
    spec={"type": "LoadBalancer", "ports": [{"port": 80}], "selector": frontend_labels},
)

ingress = frontend.status.apply(lambda status: status.load_balancer.ingress[0])
pulumi.export("frontend_ip", ingress.apply(lambda i: i.ip or i.hostname))
