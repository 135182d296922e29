"""The site program under Pulumi's mock engine: stack files, the model of what Google Cloud computes,
the offline plan."""
