"""Importing this module warms the process up for runs; the local workers' server imports it.

The server of the local workers (:func:`sim.sweeps.backends.local_context`) imports the
modules of :data:`sim.sweeps.backends.PRELOAD` once and then forks every worker from itself.
Importing this one also takes one run (:func:`sim.sweeps.runner.warm_up`), so that what the
first run of a process loads is loaded once, in the server, before any worker exists: the
compiled step's machine code (compiled first if its cache on disk is stale), the embedded data,
the UK network and the tables of the observed patterns. Every worker then starts warm, and
they share those pages with the server.
"""

from __future__ import annotations

from sim.sweeps.runner import warm_up

warm_up()
