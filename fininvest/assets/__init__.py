"""The asset-recovery register: an event-sourced lifecycle from identification to confiscation
and victim compensation, with the statistics the law asks for.

* :mod:`fininvest.assets.lifecycle` — the states and transitions, loaded from
  ``indicators/assets/lifecycle.toml``;
* :mod:`fininvest.assets.history` — replaying an asset's events, the per-asset hash chain;
* :mod:`fininvest.assets.register` — the append-only journal in the workspace;
* :mod:`fininvest.assets.verify` — recomputing the journal's hash chains;
* :mod:`fininvest.assets.money` — exact amounts and FX to the base currency;
* :mod:`fininvest.assets.statistics` — totals, funnel, time in stage, yearly statistics;
* :mod:`fininvest.assets.allocation` — sharing between states after victims (art. 30(7));
* :mod:`fininvest.assets.proceeds` — money traced to a chain's members against their assets;
* :mod:`fininvest.assets.graph_rows` — each asset's register state for the graph load.

See ``docs/assets.md``.
"""
