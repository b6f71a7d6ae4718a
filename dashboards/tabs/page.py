"""What every page needs for WCAG 2.1 AA that Solara's template does not give it.

:func:`PageBasics` puts the page's CSS (:data:`dashboards.style.PAGE_CSS`: visible focus,
readable message colours, reflow at 320 px) into the page, and ``page.vue`` sets the page's
language, lets it zoom and repairs Vuetify 2's ARIA. See docs/accessibility.md.
"""

from __future__ import annotations

import solara

from dashboards.style import PAGE_CSS


@solara.component_vue("page.vue")
def PageScript():
    """The script of ``page.vue`` (language, viewport, ARIA repairs); it draws nothing."""


@solara.component
def PageBasics():
    """The page's CSS and script: render once, at the top of the page."""
    solara.Style(PAGE_CSS)
    PageScript()
