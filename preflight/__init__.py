"""Offline pre-deployment tooling: the site program under Pulumi's mock engine, judged by the real pack."""

import os

# Each program run is a process forked from the check (preflight.engine.isolation) while the check may hold
# a gRPC channel to the policy pack, with calls in flight on another thread. The child never speaks gRPC and
# ends with os._exit; gRPC's own fork handlers would only get in the way (they skip or reset the parent's
# poller mid-call: "epoll_wait error: Bad file descriptor", an abort). Set before gRPC is first imported.
os.environ["GRPC_ENABLE_FORK_SUPPORT"] = "false"
