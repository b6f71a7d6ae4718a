"""Teaching with the model: lessons a trainer clicks through, and a printable handout for each.

- ``lessons`` (with ``lessons.toml``): the curriculum, validated, and what each lesson reads
  from its run (pure functions, shared by Teach mode, the handouts and the tests);
- ``teach``: Teach mode in the page (``/?lesson=<id>``), its Solara components;
- ``handout``: one A4 page per lesson as self-contained HTML, and PDF through chromium
  (``innovate handout``; ``python -m dashboards.teaching.handout`` refreshes ``docs/teaching``).
"""
