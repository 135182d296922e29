"""The policy pack's entry point: adapts the SDK's servicer, then constructs the PolicyPack (which serves
until killed)."""

from imaging_policies import PACK_NAME, POLICIES, _serving
from pulumi_policy import EnforcementLevel, PolicyPack

_serving.install()
PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
