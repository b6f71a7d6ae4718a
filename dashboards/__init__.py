"""The innovate-sim dashboard: a Solara app for policy audiences (``innovate dashboard``).

Modules, one concept each, in the style of Mesa's examples:

- ``app``: the page (``Page``), its layout and the run controls;
- ``session``: one model per browser session and the history the page draws from;
- ``settings``: the scenario settings and levers, turned into ordinary model parameters;
- ``controls``: the scenario panel (preset, levers, seed);
- ``map_view`` (with ``map.vue``): the UK map coloured by stage;
- ``uptake``, ``journeys``, ``compare``: the charts and stories of the other tabs;
- ``export``: CSV tables and PNG charts for download;
- ``style``: names, colours and dates in plain words;
- ``lessons`` (with ``lessons.toml``): the teaching content and what each lesson reads from a run;
- ``teach``: Teach mode, the guided sequence of the lessons (``/?lesson=<id>``);
- ``handout``: the printable one-page handout of each lesson (``innovate handout``).
"""
