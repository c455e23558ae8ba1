"""The classroom dashboard (Mesa's SolaraViz).

Modules, from the model up: :mod:`.model` (``ClassroomModel`` and the sidebar's knobs),
:mod:`.lessons` (lesson worlds and prompts), :mod:`.views` (leaderboard, monitors, paths: pure
functions of a model), :mod:`.charts` (ECharts options), :mod:`.page` (the Solara components
and ``page``, served by ``solara run marketplace_sim.app.page:page``) and :mod:`.server`
(port, host, URL, offline assets, uvicorn).
"""
