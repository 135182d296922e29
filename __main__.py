"""The site program: read the stack's site configuration and build the site. Composition only."""

import pulumi

from program.config import ConfigError, SiteConfig, stack_config_values
from program.site import ImagingSite

try:
    site_config = SiteConfig.from_stack_config(stack_config_values())
except ConfigError as error:
    for problem in error.problems:
        pulumi.log.error(problem)
    raise pulumi.RunError(f"the stack's site configuration has {len(error.problems)} problem(s)") from None

site = ImagingSite(site_config)
pulumi.export("imageBucket", site.image_bucket_name)
pulumi.export("viewerMember", site.viewer_member)
pulumi.export("network", site.network.network_id)
pulumi.export("viewerNetworkTag", site.viewer_network_tag)
pulumi.export("siemWriterIdentity", site.logging.siem_writer_identity)
pulumi.export("viewerAddress", site.viewer.ip_address if site.viewer is not None else None)
