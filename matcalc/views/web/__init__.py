"""The web page (``matcalc serve``): a standard-library server (:mod:`.server`), the JSON API it
answers (:mod:`.api`), and the static page with KaTeX shipped beside it (``static/``)."""
