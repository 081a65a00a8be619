"""The web application: what each party's people see, sign and enter, in Spanish and
English, served by `convenio serve` at ``/`` beside the API.

Server-rendered pages (Jinja2 templates, gettext catalogues through Babel, charts drawn
as SVG on the server) with one small vendored script, htmx, for partial updates; every
asset ships in this package, and no page asks another host for anything
(docs/adr/0006-web-application.md). Pages call the same services as the API and the
CLI, with the same roles: `render.Page` says who reads, `forms.FormWrite` audits a
form's write as the API's writes are.
"""

from convenio.web.app import install

__all__ = ["install"]
