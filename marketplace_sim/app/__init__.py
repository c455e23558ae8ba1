"""The classroom dashboard (Mesa's SolaraViz): model wrapper, lessons, views, page, server."""
