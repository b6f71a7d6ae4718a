"""The innovate-sim dashboard: a Solara app for policy audiences (``innovate dashboard``).

The page and its commands:

- ``app``: the page (``Page``, ``Explore``, ``RunBar``, ``About``) and its layout only;
- ``serve``: ``innovate dashboard`` (the server, Solara's assets kept offline);
- ``cli``: the ``dashboard`` and ``handout`` commands, registered with ``innovate``;
- ``boundaries`` (with ``boundaries.geojson`` and ``map_source/``): the authorities' outlines.

What the page shows, without any UI (each can be used and tested without a browser):

- ``session``: one browser tab's model and the history the page draws from;
- ``settings``: the scenario settings and levers, turned into ordinary model parameters;
- ``ensembles``: the runs behind comparisons and lessons (kept per process), their words;
- ``frames``: tables (pandas) shared by the tabs, the exports and the handouts;
- ``charts``: Vega-Lite specs (built once with Altair, filled with fresh data);
- ``figures``: PNG figures (matplotlib) for downloads and handouts;
- ``map_data``: the map's SVG paths, colours and hover text;
- ``style``: colours, plain names and dates.

The components (Solara):

- ``tabs/``: the Map (with ``map.vue``), Uptake, Journeys, Compare and Export tabs, the
  scenario panel (``controls``) and the parts they share (``common``);
- ``teaching/``: the lessons (``lessons`` with ``lessons.toml``), Teach mode (``teach``,
  ``/?lesson=<id>``) and the printable handouts (``handout``, ``innovate handout``).

Imports go one way: ``style`` < ``settings`` < ``session`` < ``ensembles`` < ``frames`` <
``charts``, ``map_data``, ``figures`` < ``tabs`` < ``teaching`` < ``app``.
"""
