"""Site network readiness: a live probe of a hospital site's network (throughput, latency, TLS), run
from the hospital (``python -m preflight netcheck SITE``)."""
