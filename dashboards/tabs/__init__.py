"""The explorer's Solara components: one module per tab, the scenario panel, and shared parts.

- ``map`` (with ``map.vue``): the UK map coloured by stage, and the chosen authority's card;
- ``uptake``: authorities at each stage over time, against the observed record;
- ``journeys``: one authority's story and conditions;
- ``compare``: two scenarios as ensembles of seeds, in sentences and a chart;
- ``export``: every table as CSV and the charts as PNG;
- ``controls``: the scenario panel (preset, levers, seed);
- ``common``: a Vega-Lite chart and the status of runs under way, used by the tabs and Teach
  mode.

The components only lay things out: what they show comes from the modules one level up
(``frames``, ``charts``, ``figures``, ``map_data``, ``ensembles``), which need no browser.
"""
